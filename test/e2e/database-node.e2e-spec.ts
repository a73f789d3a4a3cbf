import { Article } from '../../src/articles/article.entity';
import { DatabaseNode, NodeSettings } from '../../src/database/database-node';
import { Lsn, parseLsn } from '../../src/database/lsn';
import { isReplicaFailure } from '../../src/database/replica-failure';
import { credentials } from '../../stack/native/postgres';
import { leader } from '../../stack/native/stack';
import { service } from '../../stack/topology';
import { onNode, pauseReplay, resumeReplay, until } from './support/stack-control';

// The positions behind reads and commits, read in their round trips, against the real primary and a replica.
const settings: NodeSettings = {
  ...credentials.app,
  readPoolMax: 2,
  writePoolMax: 2,
  connectTimeoutMs: 2000,
  statementTimeoutMs: 5000,
  probeTimeoutMs: 1000,
  applicationName: 'database-node-e2e',
  entities: [Article],
};

const nodeOf = (name: string) => new DatabaseNode({ host: service(name).address, port: 5432 }, settings);
const lsnOn = async (name: string, sql: string): Promise<Lsn> => parseLsn((await onNode<{ lsn: string }>(name, `SELECT (${sql})::text AS lsn`))[0].lsn);

describe('DatabaseNode positions', () => {
  let primaryName: string;
  let primary: DatabaseNode;
  let replicaName: string;
  let replica: DatabaseNode;

  beforeAll(async () => {
    primaryName = (await leader()) ?? 'db-primary';
    replicaName = ['db-replica-1', 'db-replica-2', 'db-primary'].find((name) => name !== primaryName)!;
    primary = nodeOf(primaryName);
    replica = nodeOf(replicaName);
  });

  afterAll(async () => {
    await Promise.all([primary.close(), replica.close()]);
  });

  it('should read the position behind COMMIT in the same round trip, past the commit record, so a replica there has the row', async () => {
    const pipelinedBefore = primary.positionQueries.pipelined;
    const { result, position } = await primary.write(async (em) => {
      const article = await em.save(Article, em.create(Article, { title: 'positioned write', body: 'x' }));
      // Inside the transaction: the commit record comes after this.
      const [{ lsn }] = await em.query('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      return { id: article.id, beforeCommit: parseLsn(lsn) };
    }, true);

    expect(position).not.toBeNull();
    expect(position!).toBeGreaterThan(result.beforeCommit);
    expect(primary.positionQueries.pipelined - pipelinedBefore).toBe(1); // after COMMIT only, not after every statement
    await until(`${replicaName} to replay up to the write's position`, async () => (await lsnOn(replicaName, 'pg_last_wal_replay_lsn()')) >= position!);
    expect(await onNode(replicaName, 'SELECT id FROM article WHERE id = $1', [result.id])).toHaveLength(1);
  });

  it('should report the replica\'s own replayed position behind a read, not the primary\'s', async () => {
    await pauseReplay(replicaName);
    try {
      const replayed = await lsnOn(replicaName, 'pg_last_wal_replay_lsn()');
      await primary.write((em) => em.save(Article, em.create(Article, { title: 'while paused', body: 'x' })), false);
      const primaryNow = await lsnOn(primaryName, 'pg_current_wal_flush_lsn()');

      const { result, position } = await replica.read((em) => em.count(Article), true);

      expect(result).toBeGreaterThan(0);
      expect(position).toBe(replayed);
      expect(position!).toBeLessThan(primaryNow);
    } finally {
      await resumeReplay(replicaName);
    }
  });

  it('should read no position when not asked, and fail a write on a read session of a replica', async () => {
    const pipelinedBefore = replica.positionQueries.pipelined;
    expect(await replica.read((em) => em.count(Article), false)).toEqual({ result: expect.any(Number), position: null });
    expect(replica.positionQueries.pipelined).toBe(pipelinedBefore);
    await expect(replica.read((em) => em.query("UPDATE article SET title = 'no' WHERE false"), true)).rejects.toThrow(/read-only/);
  });

  it('should report a connection that failed between two statements of a write as the node failing, not as a released runner', async () => {
    const failure = await primary
      .write(async (em) => {
        const [{ pid }] = await em.query('SELECT pg_backend_pid() AS pid');
        await onNode(primaryName, 'SELECT pg_terminate_backend($1)', [pid]); // as a shutting-down server does
        await new Promise((resolve) => setTimeout(resolve, 200));
        return em.save(Article, em.create(Article, { title: 'never written', body: 'x' }));
      }, true)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Error);
    expect({ message: (failure as Error).message, nodeFailure: isReplicaFailure(failure) }).toEqual({ message: expect.any(String), nodeFailure: true });
    expect(await onNode(primaryName, "SELECT 1 FROM article WHERE title = 'never written'")).toHaveLength(0);
  });
});
