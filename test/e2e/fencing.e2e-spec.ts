import { daemonPid } from '../../stack/native/daemons';
import { leader } from '../../stack/native/stack';
import { PATRONI_PORT, service } from '../../stack/topology';
import { closeClient } from './support/client';
import { ConduitClient, newArticle, newUser } from './support/conduit';
import { StrayServer } from './support/stray-server';
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
describe('Fencing: a writable server that is not the cluster\'s leader gets no writes', () => {
  let app: TestApp | undefined;
  let stray: StrayServer | undefined;

  afterAll(() => closeClient());

  afterEach(async () => {
    await app?.stop();
    await stray?.remove();
    app = stray = undefined;
  });

  it('should keep writing to the leader when a restored copy of the cluster is promoted on a later timeline among the nodes it probes', async () => {
    const leading = (await leader())!;
    stray = await StrayServer.restoredFrom(leading);
    // The copy wins on PostgreSQL's word alone: this cluster's identifier, writable, on a later timeline.
    await until('the copy writable on a timeline of its own', async () => {
      const [[ours], [theirs]] = await Promise.all([onNode<Identity>(leading, IDENTITY), stray!.query<Identity>(IDENTITY)]);
      return theirs.system_identifier === ours.system_identifier && !theirs.in_recovery && theirs.timeline > ours.timeline;
    }, 30_000);
    const replicas = ['db-replica-1', 'db-replica-2'].map((name) => service(name).address);

    app = await TestApp.start({ DB_REPLICA_HOSTS: [...replicas, StrayServer.address].join(',') });
    // Probed: seen writable among the other nodes, or elected (/health/replication lists the primary apart).
    const health = await until('the copy probed by the app', async () => {
      const view = (await app!.get('/health/replication')).json();
      const seen = view.primary.name === 'stray-server' || view.replicas.some((r: { name: string; role: string }) => r.name === 'stray-server' && r.role === 'primary');
      return seen && view;
    });
    const author = await ConduitClient.registered({}, { baseUrl: app.baseUrl });
    const written = await author.send('PUT', '/api/user', { user: { bio: 'fenced' } });

    expect(health.primary.name).toBe(leading);
    expect(written.status).toBe(200);
    expect(String(written.headers['x-db-node']).split(', ').at(-1)).toBe(leading);
    expect(await onNode(leading, "SELECT 1 FROM conduit_user WHERE username = $1 AND bio = 'fenced'", [author.username])).toHaveLength(1);
    expect(await stray.query(`SELECT 1 FROM conduit_user WHERE username = '${author.username}'`)).toHaveLength(0);
  });

  // With the identifier pinned by the first election, a server of another cluster that is the only writable node
  // when the app starts (DB_PRIMARY_HOST pointing at the wrong server) was pinned, and the cluster's replicas refused.
  it('should elect no server of another cluster, the only writable node at start, and read from the replicas of the configured one', async () => {
    stray = await StrayServer.ofAnotherCluster();
    const [{ id }] = await onNode<{ id: string }>('db-replica-1', 'SELECT system_identifier::text AS id FROM pg_control_system()');
    const replicas = ['db-replica-1', 'db-replica-2'].map((name) => service(name).address);

    // No Patroni asked: the identifier alone must fence it (Patroni would too, where it runs).
    const settings = { DB_PRIMARY_HOST: StrayServer.address, DB_REPLICA_HOSTS: replicas.join(','), DB_SYSTEM_IDENTIFIER: id, DB_PATRONI_API_PORT: '' };
    app = await TestApp.start(settings, { waitReady: false });
    const health = await until('the stray and both replicas probed by the app', async () => {
      const view = (await app!.get('/health/replication')).json();
      // Named by a probe that reached it (a server just started at an address may take a few seconds to reach).
      const probed = view.replicas.filter((r: { name: string; lastCheckedAt: string | null }) => r.lastCheckedAt !== null && r.name !== StrayServer.address);
      return (probed.length === 3 || view.primary.name === 'stray-server') && view;
    }, 30_000);
    const read = await app.get('/api/articles?limit=1');
    const write = await app.send('POST', '/api/users', { user: newUser() });

    expect(health.primary.name).toBeNull();
    expect(health.replicas).toContainEqual(expect.objectContaining({ name: 'stray-server', eligible: false, reason: expect.stringMatching(/another cluster/) }));
    expect(health.replicas.filter((r: { eligible: boolean }) => r.eligible).map((r: { name: string }) => r.name).sort()).toEqual(['db-replica-1', 'db-replica-2']);
    expect(read.status).toBe(200);
    expect(['db-replica-1', 'db-replica-2']).toContain(read.headers['x-db-node']);
    expect(write.status).toBe(503);
  });

  // The other side of asking Patroni: its REST API falling silent (Patroni restarting, or stalled) while
  // PostgreSQL still takes writes must not cost the writes. Frozen well under the leader key's ttl (10 s): no failover.
  it('should keep writing to the primary while Patroni there does not answer (frozen for a few seconds)', async () => {
    const leading = (await leader())!;
    const author = await ConduitClient.registered();
    const patroni = daemonPid(leading)!;
    const outcome = { writes: [] as number[], patroniAnswers: [] as number[] };

    process.kill(patroni, 'SIGSTOP');
    try {
      const frozenUntil = Date.now() + 4000;
      while (Date.now() < frozenUntil) {
        const answer = fetch(`http://${service(leading).address}:${PATRONI_PORT}/primary`, { signal: AbortSignal.timeout(500) }).then((r) => r.status, () => 0);
        const write = await author.send('POST', '/api/articles', { article: newArticle() }).catch(() => ({ status: 0 }));
        outcome.writes.push(write.status);
        outcome.patroniAnswers.push(await answer);
      }
    } finally {
      process.kill(patroni, 'SIGCONT');
    }

    expect(outcome.patroniAnswers).toContain(0); // silent indeed
    expect(outcome.writes.length).toBeGreaterThan(0);
    expect(outcome.writes.filter((status) => status !== 201)).toEqual([]);
  });
});
