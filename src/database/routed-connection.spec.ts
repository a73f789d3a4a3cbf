import { EventEmitter } from 'node:events';
import type { QueryResult } from 'pg';
import { Readable } from 'node:stream';
import { RequestContext } from '../request-context/request-context';
import { DatabaseTopology } from './database-topology';
import { Host } from './host';
import { LoadBalancer } from './load-balancer';
import { parseLsn } from './lsn';
import { RoutedConnection } from './routed-connection';
import { admittedReplica, FakeNode, fakeNode } from './testing/fakes';

const refused = () => Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });

/** A node whose connections log each statement, and whether a position query followed it. */
function recordingNode(name: string, position = parseLsn('0/100')) {
  const node = fakeNode(name, { position });
  const log: { text: string; followed: boolean }[] = [];
  const kinds: string[] = [];
  /** Each release of a connection: undefined (back to the pool) or the error that destroys it. */
  const releases: (string | undefined)[] = [];
  node.connect = (async (kind: string) => {
    kinds.push(kind);
    let follow: (text: string) => boolean = () => false;
    return Object.assign(new EventEmitter(), {
      async query(text: unknown) {
        if (typeof text !== 'string') return text; // a stream: handed back as pg does
        if ((node as FakeNode).failure) throw (node as FakeNode).failure;
        log.push({ text, followed: follow(text) });
        return { rows: [{ node: name }], rowCount: 1, command: 'SELECT' };
      },
      trackPositions: (after: (text: string) => boolean) => (follow = after),
      stopTracking: async () => position,
      release: (error?: Error) => releases.push(error?.message),
    });
  }) as unknown as typeof node.connect;
  return { node, log, kinds, releases };
}

/** A recording replica admitted by one good probe (replaying at `replayLsn`, when given). */
function admittedRecordingReplica(name: string, replayLsn: string | null = null) {
  const recording = recordingNode(name);
  const host = new Host(recording.node, { excludeAfter: 1, readmitAfter: 1 });
  host.recordProbe({ problem: null, observed: { reachable: true, role: 'replica', inRecovery: true, ...(replayLsn === null ? {} : { replayLsn }) } });
  return { ...recording, host };
}

function setUp(replicas: Host[]) {
  const primary = recordingNode('primary', parseLsn('0/900'));
  const topology = new DatabaseTopology(() => {
    throw new Error('not in unit tests');
  });
  replicas.forEach((r) => topology.hosts.add(r));
  topology.setPrimary(primary.node);
  const lb = new LoadBalancer(topology, { fallback: 'primary', fallbackMaxLagBytes: 0, tokenWaitMs: 0, trackPositions: true, analyticsWaitMs: 0 }, { primaryLsn: undefined, primaryTimeline: undefined, probeAll: async () => undefined });
  return { lb, primary };
}

const inRequest = <T>(fn: (context: RequestContext) => Promise<T>) => {
  const context = new RequestContext('test');
  return RequestContext.run(context, () => fn(context));
};

describe('RoutedConnection', () => {
  it('should read the position behind each autocommit statement and behind COMMIT on the primary, not inside a transaction', async () => {
    const { lb, primary } = setUp([admittedReplica('r1')]);

    await inRequest(async (context) => {
      const connection = new RoutedConnection(lb, 'primary', context.session);
      for (const text of ['INSERT 1', 'START TRANSACTION', 'UPDATE 2', 'SAVEPOINT typeorm_1', 'ROLLBACK TO SAVEPOINT typeorm_1', 'COMMIT']) await connection.query(text);
      connection.release();
    });

    expect(primary.log.map(({ text, followed }) => `${text}${followed ? ' +position' : ''}`)).toEqual([
      'INSERT 1 +position',
      'START TRANSACTION',
      'UPDATE 2',
      'SAVEPOINT typeorm_1',
      'ROLLBACK TO SAVEPOINT typeorm_1',
      'COMMIT +position',
    ]);
  });

  it("should read a position behind each replica read of a cache load but a page's ids, which TypeORM follows with the page's rows", async () => {
    const r1 = admittedRecordingReplica('r1');
    const { lb } = setUp([r1.host]);

    await inRequest(async (context) => {
      context.session.beginLoad();
      const connection = new RoutedConnection(lb, 'replica', context.session);
      await connection.query('SELECT DISTINCT "distinctAlias"."a_id" AS "ids_a_id" FROM (SELECT 1) "distinctAlias"');
      await connection.query('SELECT "a"."id" FROM "a" WHERE "a"."id" IN (1)');
      connection.release();
    });

    expect(r1.log.map(({ followed }) => followed)).toEqual([false, true]);
  });

  // A runner held by the caller can run a page's ids after another read: the lease's position is the one behind its
  // last tracked statement, which would then be older than what the ids' query saw.
  it("should read a position behind a page's ids when an earlier read on the runner already had one", async () => {
    const r1 = admittedRecordingReplica('r1');
    const { lb } = setUp([r1.host]);

    await inRequest(async (context) => {
      context.session.beginLoad();
      const connection = new RoutedConnection(lb, 'replica', context.session);
      await connection.query('SELECT "b"."id" FROM "b"');
      await connection.query('SELECT DISTINCT "distinctAlias"."a_id" AS "ids_a_id" FROM (SELECT 1) "distinctAlias"');
      connection.release();
    });

    expect(r1.log.map(({ followed }) => followed)).toEqual([true, true]);
  });

  it('should read no position behind a replica read outside a cache load: the token names the replica instead', async () => {
    const r1 = admittedRecordingReplica('r1', '0/80');
    const { lb } = setUp([r1.host]);
    let asked = 0;
    r1.node.positionAfter = async () => (asked++, parseLsn('0/100'));

    const outgoing = await inRequest(async (context) => {
      for (const text of ['SELECT 1', 'SELECT 2']) {
        const connection = new RoutedConnection(lb, 'replica', context.session);
        await connection.query(text);
        connection.release();
      }
      return context.session.outgoingPosition();
    });

    expect(r1.log.map(({ followed }) => followed)).toEqual([false, false]);
    expect(asked).toBe(0);
    expect(outgoing).toEqual({ lsn: parseLsn('0/80'), seenOn: 'r1' });
  });

  it("should read no position behind a read on the primary, and ask the primary once for the request's token", async () => {
    const { lb, primary } = setUp([admittedReplica('r1')]);
    let asked = 0;
    primary.node.positionAfter = async () => (asked++, parseLsn('0/A00'));

    const seen = await inRequest(async (context) => {
      context.session.startWrite(); // a read after a write: on the primary
      for (const text of ['SELECT 1', 'SELECT 2']) {
        const connection = new RoutedConnection(lb, 'replica', context.session);
        await connection.query(text);
        connection.release();
      }
      return context.session.positionSeen();
    });

    expect(primary.log).toEqual([
      { text: 'SELECT 1', followed: false },
      { text: 'SELECT 2', followed: false },
    ]);
    expect({ seen, asked }).toEqual({ seen: parseLsn('0/A00'), asked: 1 });
  });

  // After its commit a request usually reads little more on the primary (the response's own rows): a position behind
  // each of those statements rides in its round trip, where the token's question afterwards took one of its own.
  it("should read a position behind each read on the primary once the request has committed, and not ask the primary for the token", async () => {
    const { lb, primary } = setUp([admittedReplica('r1')]);
    let asked = 0;
    primary.node.positionAfter = async () => (asked++, parseLsn('0/A00'));

    const seen = await inRequest(async (context) => {
      context.session.recordCommit();
      for (const text of ['SELECT 1', 'SELECT 2']) {
        const connection = new RoutedConnection(lb, 'replica', context.session);
        await connection.query(text);
        connection.release();
      }
      return context.session.positionSeen();
    });

    expect(primary.log.map(({ followed }) => followed)).toEqual([true, true]);
    expect({ seen, asked }).toEqual({ seen: parseLsn('0/900'), asked: 0 });
  });

  it('should leave reads on the primary after the commit to one question afterwards where each position is a trip (MariaDB)', async () => {
    const { lb, primary } = setUp([admittedReplica('r1')]);
    Object.assign(primary.node, { readPositionsCostATrip: true });
    let asked = 0;
    primary.node.positionAfter = async () => (asked++, parseLsn('0/A00'));

    await inRequest(async (context) => {
      context.session.recordCommit();
      context.session.beginLoad();
      for (const text of ['SELECT 1', 'SELECT 2']) {
        const connection = new RoutedConnection(lb, 'replica', context.session);
        await connection.query(text);
        connection.release();
      }
      return context.session.positionSeen();
    });

    expect(primary.log.map(({ followed }) => followed)).toEqual([false, false]);
    expect(asked).toBe(1);
  });

  // A fill needs its reads' bound before it can go to Redis: asked after the fact, that is a round trip of its own.
  it("should read a position behind a cache load's reads on the primary, in their round trip, and not ask the primary after", async () => {
    const { lb, primary } = setUp([admittedReplica('r1')]);
    let asked = 0;
    primary.node.positionAfter = async () => (asked++, parseLsn('0/A00'));

    const reads = await inRequest(async (context) => {
      context.session.startWrite(); // a read after a write: on the primary
      const mark = context.session.beginLoad();
      const connection = new RoutedConnection(lb, 'replica', context.session);
      await connection.query('SELECT DISTINCT "distinctAlias"."a_id" AS "ids_a_id" FROM (SELECT 1) "distinctAlias"');
      await connection.query('SELECT "a"."id" FROM "a" WHERE "a"."id" IN (1)');
      connection.release();
      context.session.endLoad();
      await context.session.settled();
      await context.session.boundReadsSince(mark);
      return context.session.readsSince(mark);
    });

    expect(primary.log.map(({ followed }) => followed)).toEqual([false, true]);
    expect({ bounded: reads.bounded, asked }).toEqual({ bounded: true, asked: 0 });
  });

  it('should record the write position on the session once its position has answered', async () => {
    const { lb } = setUp([admittedReplica('r1')]);

    const written = await inRequest(async (context) => {
      const connection = new RoutedConnection(lb, 'primary', context.session);
      await connection.query('INSERT 1');
      connection.release();
      await context.session.settled();
      return context.session.writeLsn;
    });

    expect(written).toBe(parseLsn('0/900'));
  });

  it('should not run a statement again elsewhere when its replica fails inside a transaction', async () => {
    const r1 = admittedReplica('r1');
    const { lb } = setUp([r1, admittedReplica('r2')]);

    const failure = await inRequest(async (context) => {
      const connection = new RoutedConnection(lb, 'replica', context.session);
      await connection.query('START TRANSACTION');
      (r1.node as unknown as FakeNode).failure = refused();
      return connection.query('SELECT 1').catch((error: unknown) => error);
    });

    expect(failure).toMatchObject({ code: 'ECONNRESET' });
  });

  it('should retry a replica read that fails mid-statement on another replica, invisibly', async () => {
    const r1 = admittedReplica('r1', { failure: refused() });
    const { lb } = setUp([r1, admittedReplica('r2')]);

    const served = await inRequest(async (context) => {
      const connection = new RoutedConnection(lb, 'replica', context.session);
      const { rows } = (await connection.query('SELECT 1')) as QueryResult<{ node: string }>;
      connection.release();
      return { node: rows[0].node, routes: context.routes };
    });

    expect(served).toEqual({ node: 'r2', routes: ['replica'] });
    expect(r1.eligible).toBe(false);
  });

  it('should give a stream a connection of its own from the node\'s stream pool, and refuse one inside a transaction', async () => {
    const replica = admittedRecordingReplica('r1');
    const { lb } = setUp([replica.host]);
    const stream = () => Object.assign(new Readable({ read() {} }), { submit: () => undefined });

    const result = await inRequest(async (context) => {
      const connection = new RoutedConnection(lb, 'replica', context.session);
      connection.query(stream());
      await new Promise((resolve) => setImmediate(resolve));
      await connection.query('START TRANSACTION');
      const refusedStream = connection.query(stream());
      const error = await new Promise((resolve) => refusedStream.once('error', resolve));
      return { error: String(error) };
    });

    expect(replica.kinds).toEqual(['streams', 'reads']);
    expect(result.error).toMatch(/inside a transaction is not supported/);
  });

  it('should record no write position for a write that failed before it committed (its reads still go to the primary)', async () => {
    const { lb, primary } = setUp([admittedReplica('r1')]);

    const after = await inRequest(async (context) => {
      const connection = new RoutedConnection(lb, 'primary', context.session);
      await connection.query('START TRANSACTION');
      (primary.node as unknown as FakeNode).failure = Object.assign(new Error('duplicate key'), { code: '23505' });
      await connection.query('INSERT 1').catch(() => undefined);
      (primary.node as unknown as FakeNode).failure = undefined;
      await connection.query('ROLLBACK');
      connection.release();
      await context.session.settled();
      return { writeLsn: context.session.writeLsn, reads: context.session.primaryReason() };
    });

    expect(after).toEqual({ writeLsn: undefined, reads: 'primary:after-write' });
  });

  it("should count a request's commit as soon as it answers, before the connection is released", async () => {
    const { lb } = setUp([admittedReplica('r1')]);

    const seen = await inRequest(async (context) => {
      const connection = new RoutedConnection(lb, 'primary', context.session);
      await connection.query('START TRANSACTION');
      await connection.query('UPDATE 1');
      const inTransaction = context.session.committedData;
      await connection.query('COMMIT');
      return { inTransaction, afterCommit: context.session.committedData };
    });

    expect(seen).toEqual({ inTransaction: false, afterCommit: true });
  });

  it("should not count save()'s load on the primary before its transaction as a commit, nor a failed COMMIT", async () => {
    const { lb, primary } = setUp([admittedReplica('r1')]);

    const committed = await inRequest(async (context) => {
      const connection = new RoutedConnection(lb, 'primary', context.session);
      await connection.query('SELECT "article"."id" FROM "conduit_article" "article" WHERE "article"."id" = 1');
      await connection.query('START TRANSACTION');
      await connection.query('UPDATE 1');
      (primary.node as unknown as FakeNode).failure = Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 });
      await connection.query('COMMIT').catch(() => undefined);
      connection.release();
      return context.session.committedData;
    });

    expect(committed).toBe(false);
  });

  it('should destroy, not pool, a connection released inside a transaction, and give each connection back once', async () => {
    const { lb, primary } = setUp([admittedReplica('r1')]);

    await inRequest(async (context) => {
      const connection = new RoutedConnection(lb, 'primary', context.session);
      await connection.query('START TRANSACTION');
      connection.release();
      connection.release();
      await context.session.settled();
    });
    await new Promise((resolve) => setImmediate(resolve));

    expect(primary.releases).toEqual(['released inside a transaction']);
  });

  it('should give a stream\'s connection back when the consumer destroyed the stream before it started', async () => {
    const replica = admittedRecordingReplica('r1');
    const { lb } = setUp([replica.host]);

    await inRequest(async (context) => {
      const connection = new RoutedConnection(lb, 'replica', context.session);
      const stream = connection.query(Object.assign(new Readable({ read() {} }), { submit: () => undefined }));
      stream.destroy();
      await new Promise((resolve) => setImmediate(resolve));
    });

    expect(replica.releases).toEqual([undefined]);
  });
});
