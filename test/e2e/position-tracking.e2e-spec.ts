import type { Client } from 'pg';
import { parseLsn } from '../../src/database/lsn';
import { PositionTrackingClient } from '../../src/database/position-tracking-client';
import { appEnv } from '../../stack/native/services';
import { service } from '../../stack/topology';
import { onNode } from './support/stack-control';

/** A pipelined connection as the app's pools make them, to one node, counting the server's ReadyForQuery messages. */
async function connectTo(node: string): Promise<{ client: PositionTrackingClient; syncs: () => number }> {
  const env = appEnv('app-1');
  const client = new PositionTrackingClient({ host: service(node).address, port: 5432, user: env.DB_USER, password: env.DB_PASSWORD, database: env.DB_NAME, pipeline: true } as never);
  await client.connect();
  let readyForQuery = 0;
  (client as unknown as { connection: NodeJS.EventEmitter }).connection.on('readyForQuery', () => readyForQuery++);
  return { client, syncs: () => readyForQuery };
}

/**
 * Resolves once the server has answered everything sent: a failed statement reaches its caller at the
 * ErrorResponse, before the ReadyForQuery that ends it.
 */
async function idle(client: PositionTrackingClient): Promise<void> {
  const pipeline = client as unknown as { readyForQuery: boolean; _activeQuery: unknown; _sentQueryQueue: unknown[] };
  for (let i = 0; i < 200 && !(pipeline.readyForQuery && !pipeline._activeQuery && pipeline._sentQueryQueue.length === 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Runs `statement` with a position read behind it; the result (or error), the position, and the Syncs it took. */
async function tracked<T>(connection: { client: PositionTrackingClient; syncs: () => number }, statement: (client: Client) => Promise<T>) {
  const before = connection.syncs();
  connection.client.trackPositions(() => true);
  const outcome: { result?: T; error?: Error } = await statement(connection.client as unknown as Client).then(
    (result) => ({ result }),
    (error: Error) => ({ error }),
  );
  const position = await connection.client.stopTracking();
  await idle(connection.client);
  return { ...outcome, position, syncs: connection.syncs() - before };
}

describe('PositionTrackingClient on a real node', () => {
  const open: PositionTrackingClient[] = [];
  const connect = async (node: string) => {
    const connection = await connectTo(node);
    open.push(connection.client);
    return connection;
  };

  afterAll(() => Promise.all(open.map((client) => client.end().catch(() => undefined))));

  it('should answer a statement and the position behind it with one Sync once the position statement is prepared', async () => {
    const replica = await connect('db-replica-1');
    const first = await tracked(replica, (c) => c.query('SELECT $1::int + 1 AS n', [41]));
    const next = await tracked(replica, (c) => c.query('SELECT $1::int + 1 AS n', [1]));
    const [{ lsn }] = await onNode<{ lsn: string }>('db-replica-1', 'SELECT pg_last_wal_replay_lsn()::text AS lsn');

    // The first prepares the position statement (a query of its own); from then on one Sync carries both.
    expect(first).toMatchObject({ result: { rows: [{ n: 42 }] }, syncs: 2 });
    expect(next).toMatchObject({ result: { rows: [{ n: 2 }] }, syncs: 1 });
    expect(next.position).not.toBeNull();
    expect(next.position!).toBeLessThanOrEqual(parseLsn(lsn));
  });

  it('should send a statement without parameters in the same Sync as its position', async () => {
    const replica = await connect('db-replica-2');
    await tracked(replica, (c) => c.query('SELECT 1'));

    const plain = await tracked(replica, (c) => c.query('SELECT count(*)::int AS n FROM pg_class WHERE relname = $1', ['pg_class']));
    const withoutValues = await tracked(replica, (c) => c.query("SELECT 'x' AS x;"));

    expect(plain).toMatchObject({ result: { rows: [{ n: 1 }] }, syncs: 1 });
    expect(withoutValues).toMatchObject({ result: { rows: [{ x: 'x' }] }, syncs: 1 });
    expect(withoutValues.position).not.toBeNull();
  });

  it("should hand a failed statement's error to its caller, claim no position, and keep the connection usable", async () => {
    const replica = await connect('db-replica-1');
    await tracked(replica, (c) => c.query('SELECT 1'));

    const failed = await tracked(replica, (c) => c.query('SELECT 1 / $1::int', [0]));
    const after = await tracked(replica, (c) => c.query('SELECT $1::text AS still', ['here']));

    expect(failed).toMatchObject({ error: expect.objectContaining({ code: '22012' }), position: null });
    expect(after).toMatchObject({ result: { rows: [{ still: 'here' }] }, syncs: 1 });
    expect(after.position).not.toBeNull();
  });

  it("should hand a row that could not be parsed to its caller as the statement's error", async () => {
    const replica = await connect('db-replica-2');
    await tracked(replica, (c) => c.query('SELECT 1'));
    const types = {
      getTypeParser: () => () => {
        throw new Error('unparseable');
      },
    };

    const failed = await tracked(replica, (c) => c.query({ text: 'SELECT $1::int AS n', values: [1], types }));
    const after = await tracked(replica, (c) => c.query('SELECT $1::int AS n', [2]));

    expect(failed).toMatchObject({ error: expect.objectContaining({ message: 'unparseable' }), position: null });
    expect(after).toMatchObject({ result: { rows: [{ n: 2 }] }, syncs: 1 });
  });

  it('should send several statements in one text as a simple query, with the position behind them', async () => {
    const replica = await connect('db-replica-2');
    await tracked(replica, (c) => c.query('SELECT 1'));

    const both = await tracked(replica, (c) => c.query('SELECT 1 AS a; SELECT 2 AS b') as unknown as Promise<{ rows: unknown[] }[]>);

    expect(both.result?.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
    expect(both.position).not.toBeNull();
  });

  it('should give concurrent statements on one connection their own rows', async () => {
    const replica = await connect('db-replica-1');
    await tracked(replica, (c) => c.query('SELECT 1'));

    const both = await tracked(replica, (c) => Promise.all(['a', 'b', 'c'].map((x) => c.query('SELECT $1::text AS x', [x]))));

    expect(both.result?.map((r) => r.rows[0].x)).toEqual(['a', 'b', 'c']);
    expect(both.syncs).toBe(3);
  });

  it("should read, behind a COMMIT in the same Sync, a position past the transaction's writes", async () => {
    const primary = await connect('db-primary');
    const client = primary.client as unknown as Client;
    await tracked(primary, (c) => c.query('SELECT 1'));
    await client.query('BEGIN');
    await client.query('CREATE TEMP TABLE IF NOT EXISTS tracked_commit (n int)');
    await client.query('INSERT INTO tracked_commit VALUES ($1)', [1]);
    const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');

    const commit = await tracked(primary, (c) => c.query('COMMIT'));

    expect(commit).toMatchObject({ result: { command: 'COMMIT' }, syncs: 1 });
    expect(commit.position!).toBeGreaterThan(parseLsn(rows[0].lsn));
  });
});
