import { leader } from '../../stack/native/stack';
import { service } from '../../stack/topology';
import { ConduitClient } from './support/conduit';
import { RestoredCopy } from './support/restored-copy';
import { onNode, until } from './support/stack-control';
import { TestApp } from './support/test-app';

interface Identity {
  system_identifier: string;
  timeline: number;
  in_recovery: boolean;
}

/** A writable node's identity; its timeline as the app's probe reads it (its current WAL file's, not the last checkpoint's). */
const IDENTITY = `SELECT (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier, pg_is_in_recovery() AS in_recovery,
  ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS timeline`;

// Issue 14, item 11: PostgreSQL's state cannot tell a promoted replica from a copy of the cluster restored and
// promoted by hand (the same system identifier, a later timeline): the app wrote to whichever was on the later
// timeline. Patroni's leader key can: the app asks Patroni (DB_PATRONI_API_PORT, set by stack/app.env).
describe('Fencing: a writable node that Patroni does not lead gets no writes', () => {
  let app: TestApp | undefined;
  let copy: RestoredCopy | undefined;

  afterEach(async () => {
    await app?.stop();
    await copy?.remove();
    app = copy = undefined;
  });

  it('should keep writing to the leader when a restored copy of the cluster is promoted on a later timeline among the nodes it probes', async () => {
    const leading = (await leader())!;
    copy = await RestoredCopy.promotedFrom(leading);
    // The copy wins on PostgreSQL's word alone: this cluster's identifier, writable, on a later timeline.
    await until('the copy writable on a timeline of its own', async () => {
      const [[ours], [theirs]] = await Promise.all([onNode<Identity>(leading, IDENTITY), copy!.query<Identity>(IDENTITY)]);
      return theirs.system_identifier === ours.system_identifier && !theirs.in_recovery && theirs.timeline > ours.timeline;
    }, 30_000);
    const replicas = ['db-replica-1', 'db-replica-2'].map((name) => service(name).address);

    app = await TestApp.start({ DB_REPLICA_HOSTS: [...replicas, RestoredCopy.address].join(',') });
    // Probed: seen writable among the other nodes, or elected (/health/replication lists the primary apart).
    const health = await until('the copy probed by the app', async () => {
      const view = (await app!.get('/health/replication')).json();
      const seen = view.primary.name === 'restored-copy' || view.replicas.some((r: { name: string; role: string }) => r.name === 'restored-copy' && r.role === 'primary');
      return seen && view;
    });
    const author = await ConduitClient.registered({}, { baseUrl: app.baseUrl });
    const written = await author.send('PUT', '/api/user', { user: { bio: 'fenced' } });

    expect(health.primary.name).toBe(leading);
    expect(written.status).toBe(200);
    expect(String(written.headers['x-db-node']).split(', ').at(-1)).toBe(leading);
    expect(await onNode(leading, "SELECT 1 FROM conduit_user WHERE username = $1 AND bio = 'fenced'", [author.username])).toHaveLength(1);
    expect(await copy.query(`SELECT 1 FROM conduit_user WHERE username = '${author.username}'`)).toHaveLength(0);
  });
});
