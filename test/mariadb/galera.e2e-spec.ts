import { existsSync } from 'node:fs';
import { Connection, createConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { CertificationRetryCounters, retryOnCertificationConflict } from '../../src/database/galera/certification-retry';
import { classifyGaleraError } from '../../src/database/galera/galera-error';
import { MariaDbNode as MariaDbServer, MariaDbSettings } from '../../src/database/mariadb-node';
import {
  GALERA_GTID_DOMAIN,
  GALERA_SERVER_ID,
  galeraNodes,
  galeraStatus,
  killGaleraNode,
  removeGaleraCluster,
  restartGaleraNode,
  startGaleraCluster,
  stateTransfersOf,
  waitForSynced,
} from '../../stack/native/galera';
import { MARIADB_DIR, MARIADB_PORT, MariaDbNode, mariadbCredentials, namespacesLeft, samePosition, setLinkUp, socketOf, sqlValue } from '../../stack/native/mariadb';
import { waitFor } from '../../stack/native/shell';

/**
 * Galera multi-master, the shape issue 13 (part 3) gives MariaDB's multi-writer topology: three nodes that all take
 * writes, a transaction certified on every node before it commits (docs/galera.md). What the app's Galera routing
 * will rely on, shown on real servers through mysql2 as the app user: a conflict comes back as 1213 at COMMIT and the
 * whole-transaction retry absorbs it; a token from the writer's own COMMIT (session-tracked last_gtid) and
 * the app's token wait (WSREP_SYNC_WAIT_UPTO_GTID under a causal check; the function alone is not enough) give
 * read-your-writes on another node; a node without quorum answers 1047, and a killed
 * node costs only the transactions in flight on it.
 */
const nodes = galeraNodes;
const [one, two, three] = nodes;
const { app } = mariadbCredentials;
const report = (line: string) => process.stdout.write(`  ${line}\n`);

/** The app's settings for a node of its own (MariaDbServer), as the app user. */
const appSettings: Omit<MariaDbSettings, 'gtidDomainId'> = {
  user: app.user,
  password: app.password,
  database: app.database,
  readPoolMax: 4,
  writePoolMax: 4,
  poolIdleTimeoutMs: 60_000,
  connectTimeoutMs: 2_000,
  statementTimeoutMs: 10_000,
  probeTimeoutMs: 2_000,
  applicationName: 'galera-spec',
};

const open: Connection[] = [];
/** The app user's connection to a node, over the bridge as an app server's, or over the node's socket (the same side of a partition as the node). */
async function connect(node: MariaDbNode, { throughSocket = false } = {}): Promise<Connection> {
  const where = throughSocket ? { socketPath: socketOf(node.name) } : { host: node.address, port: MARIADB_PORT };
  const connection = await createConnection({ ...where, user: app.user, password: app.password, database: app.database, connectTimeout: 2_000 });
  // An error on an idle connection (its node killed) must not crash the test process.
  connection.on('error', () => undefined);
  open.push(connection);
  return connection;
}

async function rows<T>(connection: Connection, text: string, values: unknown[] = []): Promise<T[]> {
  const [result] = await connection.query<RowDataPacket[]>(text, values);
  return result as T[];
}

/**
 * A transaction on one connection: BEGIN, the statements, COMMIT; ROLLBACK when any of them fails (a connection
 * still open after a conflict stays usable). Returns each statement's result and COMMIT's.
 */
async function transaction(connection: Connection, statements: [string, unknown[]][]): Promise<{ results: ResultSetHeader[]; commit: ResultSetHeader }> {
  await connection.query('BEGIN');
  try {
    const results: ResultSetHeader[] = [];
    for (const [text, values] of statements) results.push((await connection.query<ResultSetHeader>(text, values))[0]);
    const [commit] = await connection.query<ResultSetHeader>('COMMIT');
    return { results, commit };
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The node's view of a table, after every transaction the cluster committed before this read (a causal read). */
async function causalRead<T>(node: MariaDbNode, text: string): Promise<T[]> {
  const connection = await connect(node);
  await connection.query('SET SESSION wsrep_sync_wait = 1');
  return rows<T>(connection, text);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

describe('Galera multi-master: three writable nodes (MariaDB)', () => {
  beforeAll(async () => {
    const started = Date.now();
    await removeGaleraCluster(nodes); // what a crashed run left behind
    await startGaleraCluster(nodes);
    const setup = await connect(one);
    await setup.query('CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, origin VARCHAR(16) NOT NULL, body VARCHAR(64) NOT NULL)');
    await setup.query('CREATE TABLE counters (id INT PRIMARY KEY, n INT NOT NULL)');
    await setup.query('INSERT INTO counters VALUES (1, 0), (2, 0), (3, 0)');
    await setup.query('CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL)');
    await setup.query('INSERT INTO accounts VALUES (1, 100)');
    await setup.query('CREATE TABLE load_writes (writer INT NOT NULL, seq INT NOT NULL, PRIMARY KEY (writer, seq))');
    report(`galera cluster of 3 started and Synced, tables created, in ${Date.now() - started} ms`);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(open.map((connection) => connection.end().catch(() => connection.destroy())));
    await removeGaleraCluster(nodes);

    expect(namespacesLeft(nodes)).toEqual([]);
    expect(existsSync(MARIADB_DIR)).toBe(false);
  }, 120_000);

  describe('three writable nodes', () => {
    it('should put every node in one primary component of 3, Synced', async () => {
      const statuses = await Promise.all(nodes.map((node) => galeraStatus(node)));

      expect(statuses).toEqual(nodes.map((node) => ({ node: node.name, localState: 'Synced', clusterStatus: 'Primary', clusterSize: 3, ready: 'ON' })));
      expect(await rows(await connect(two), "SHOW STATUS LIKE 'wsrep_cluster_size'")).toEqual([{ Variable_name: 'wsrep_cluster_size', Value: '3' }]);
    });

    it('should take a write on every node as the app user, and show each on every node with the same GTIDs', async () => {
      for (const node of nodes) await (await connect(node)).query('INSERT INTO notes (origin, body) VALUES (?, ?)', [node.name, 'visible everywhere']);

      for (const reader of nodes) {
        const seen = await causalRead<{ origin: string }>(reader, "SELECT origin FROM notes WHERE body = 'visible everywhere' ORDER BY origin");
        expect(seen.map((row) => row.origin)).toEqual(nodes.map((node) => node.name));
      }
      // One GTID domain and one server_id for every write set: the same transaction has the same GTID on every node.
      const positions = await Promise.all(nodes.map((node) => sqlValue(node, 'SELECT @@gtid_binlog_pos')));
      expect(positions[0]).toMatch(new RegExp(`^${GALERA_GTID_DOMAIN}-${GALERA_SERVER_ID}-\\d+$`));
      expect(positions.every((position) => samePosition(position ?? '', positions[0] ?? ''))).toBe(true);
    });
  });

  describe('certification conflicts', () => {
    it('should refuse, at COMMIT with 1213 / SQLSTATE 40001, the second of two transactions that updated the same row on two nodes', async () => {
      const [first, second] = [await connect(one), await connect(two)];
      await first.query('BEGIN');
      await second.query('BEGIN');
      await first.query('UPDATE accounts SET balance = balance - 30 WHERE id = 1');
      // No lock is shared between nodes: this UPDATE does not wait for the first.
      await second.query('UPDATE accounts SET balance = balance + 50 WHERE id = 1');

      await first.query('COMMIT');
      const secondCommit = second.query('COMMIT');

      await expect(secondCommit).rejects.toMatchObject({ errno: 1213, sqlState: '40001', code: 'ER_LOCK_DEADLOCK' });
      expect(classifyGaleraError(await secondCommit.catch((error: unknown) => error))).toBe('certification-conflict');
      // The first transaction's write is everywhere; the refused one is nowhere.
      for (const node of nodes) expect(await causalRead(node, 'SELECT balance FROM accounts WHERE id = 1')).toEqual([{ balance: 70 }]);
    });

    it('should keep every acknowledged increment on every node when two writers hit the same rows through different nodes, no 1213 reaching them', async () => {
      const perWriter = 150;
      const connectionsPerWriter = 3;
      const counters = new CertificationRetryCounters();
      // Two app servers, each with a connection to every node; both increment the same three rows.
      const writers = await Promise.all(
        [0, 1].map(async (writer) => ({ writer, connections: await Promise.all(nodes.map((_, i) => connect(nodes[(writer + i) % nodes.length]))) })),
      );
      let acknowledged = 0;
      let mostRuns = 0;
      const errorsSeen: string[] = [];
      const started = Date.now();

      await Promise.all(
        writers.flatMap(({ connections }) =>
          connections.slice(0, connectionsPerWriter).map(async (connection, lane) => {
            for (let n = lane; n < perWriter; n += connectionsPerWriter) {
              const row = 1 + (n % 3);
              try {
                await retryOnCertificationConflict(
                  (run) => {
                    mostRuns = Math.max(mostRuns, run);
                    return transaction(connection, [
                      ['UPDATE counters SET n = n + 1 WHERE id = ?', [row]],
                      ['UPDATE counters SET n = n + 1 WHERE id = ?', [1 + ((row + 1) % 3)]],
                    ]);
                  },
                  // Every two of these transactions share a row, so each one conflicts with whatever another node
                  // certified while it ran; a node that lags in applying keeps failing until it catches up. Once, under
                  // load, one transaction failed 12 runs in a row (0.7 s of delays): the bound covers a few seconds.
                  { attempts: 20, baseDelayMs: 5, maxDelayMs: 250, counters },
                );
                acknowledged++;
              } catch (error) {
                const { errno, sqlState, message } = error as { errno?: number; sqlState?: string; message?: string };
                errorsSeen.push(`${errno} ${sqlState} ${message}`);
              }
            }
          }),
        ),
      );
      const seconds = (Date.now() - started) / 1000;
      report(
        `hot rows: ${acknowledged} transactions acknowledged in ${seconds.toFixed(1)} s, ${counters.retries} retries ` +
          `(${(counters.retries / seconds).toFixed(1)}/s), ${counters.absorbed} transactions committed after a conflict (at most ${mostRuns} runs), ${counters.exhausted} gave up`,
      );

      expect(errorsSeen).toEqual([]);
      expect(counters.exhausted).toBe(0);
      expect(acknowledged).toBe(2 * perWriter);
      // The writers did conflict, and the retry absorbed it: otherwise this test shows nothing.
      expect(counters.retries).toBeGreaterThan(0);
      for (const node of nodes) {
        const [{ total }] = await causalRead<{ total: string }>(node, 'SELECT SUM(n) AS total FROM counters');
        expect([node.name, Number(total)]).toEqual([node.name, 2 * acknowledged]);
      }
    });
  });

  describe('read-your-writes across nodes with a GTID token', () => {
    /** A writer's connection whose every COMMIT brings back its GTID (session_track_system_variables), and a reader's on another node that does not wait by itself. */
    async function writerAndReader(writeOn: MariaDbNode, readOn: MariaDbNode): Promise<{ writer: Connection; reader: Connection }> {
      const writer = await connect(writeOn);
      await writer.query("SET SESSION session_track_system_variables = 'last_gtid'");
      const reader = await connect(readOn);
      // Galera's own causal reads would hide a missing wait: the token is the only thing that makes a read wait here.
      await reader.query('SET SESSION wsrep_sync_wait = 0');
      return { writer, reader };
    }

    /** The GTID of the transaction this COMMIT ended, from the OK packet: no second round trip. */
    function tokenOf(commit: ResultSetHeader): string {
      const gtid = (commit as ResultSetHeader & { stateChanges?: { systemVariables?: Record<string, string> } }).stateChanges?.systemVariables?.last_gtid;
      if (!gtid) throw new Error(`COMMIT brought back no last_gtid: ${JSON.stringify(commit)}`);
      return gtid;
    }

    it("should bring the writer's GTID back with its COMMIT, the same GTID every node gives that transaction", async () => {
      const { writer } = await writerAndReader(one, two);

      const { commit } = await transaction(writer, [['INSERT INTO notes (origin, body) VALUES (?, ?)', [one.name, 'token']]]);
      const token = tokenOf(commit);

      expect(token).toMatch(new RegExp(`^${GALERA_GTID_DOMAIN}-${GALERA_SERVER_ID}-\\d+$`));
      expect(await rows(writer, 'SELECT @@last_gtid AS gtid')).toEqual([{ gtid: token }]);
      const positions = () => Promise.all(nodes.map((node) => sqlValue(node, 'SELECT @@gtid_binlog_pos')));
      await waitFor(`every node's binary log to end at ${token}`, async () => (await positions()).every((position) => position === token), { timeoutMs: 5_000 });
    });

    it("should read every write on another node after the app's token wait, every node also taking other writes: 0 stale of 6000 pairs", async () => {
      const pairs = 6000;
      // The app's own node (its pools, its probe's server_id) waits; a connection of the harness reads, as a request's
      // read takes whichever pooled connection is free.
      const servers = nodes.map((node) => new MariaDbServer({ host: node.address, port: MARIADB_PORT }, { ...appSettings, galera: true, gtidDomainId: GALERA_GTID_DOMAIN }));
      await Promise.all(servers.map((server) => server.probe()));
      const lanes = await Promise.all(nodes.map(async (node, i) => ({ ...(await writerAndReader(node, nodes[(i + 1) % nodes.length])), waiter: servers[(i + 1) % nodes.length] })));
      // Writes committing on every node as the pairs run: the appliers busy, as under an app's load.
      let loading = true;
      const load = Promise.all(
        nodes.map(async (node) => {
          const loader = await connect(node);
          while (loading) await loader.query('INSERT INTO notes (origin, body) VALUES (?, ?)', [node.name, 'load']);
        }),
      );
      const waits: number[] = [];
      let stale = 0;
      // For comparison, every fourth pair waits with WSREP_SYNC_WAIT_UPTO_GTID alone (each pair waits once: a second
      // wait after the first would find the row visible by then).
      const bare = { pairs: 0, stale: 0 };
      try {
        await Promise.all(
          lanes.map(async ({ writer, reader, waiter }, lane) => {
            for (let pair = lane; pair < pairs + pairs / 3; pair += lanes.length) {
              const { results, commit } = await transaction(writer, [['INSERT INTO notes (origin, body) VALUES (?, ?)', ['pair', `pair ${pair}`]]]);
              const token = tokenOf(commit);
              if (pair % 4 === 3) {
                bare.pairs++;
                await reader.query('SELECT WSREP_SYNC_WAIT_UPTO_GTID(?, 5)', [token]);
                if ((await rows(reader, 'SELECT id FROM notes WHERE id = ?', [results[0].insertId])).length === 0) bare.stale++;
                continue;
              }
              const waited = process.hrtime.bigint();
              expect(await waiter.waitForPosition(BigInt(token.split('-')[2]), 5_000)).toBe(true);
              waits.push(Number(process.hrtime.bigint() - waited) / 1e6);
              if ((await rows(reader, 'SELECT id FROM notes WHERE id = ?', [results[0].insertId])).length === 0) stale++;
            }
          }),
        );
      } finally {
        loading = false;
        await load;
        await Promise.all(servers.map((server) => server.close()));
      }
      waits.sort((a, b) => a - b);
      report(
        `read-your-writes: ${stale} stale of ${waits.length} pairs after the app's wait (${bare.stale} of ${bare.pairs} after WSREP_SYNC_WAIT_UPTO_GTID alone); ` +
          `the app's wait p50 ${percentile(waits, 50).toFixed(2)} ms, p95 ${percentile(waits, 95).toFixed(2)} ms`,
      );

      expect(waits.length).toBe(pairs);
      expect(stale).toBe(0);
    }, 120_000);

    it("should make the read wait while the reader's node has not applied the write, and time out (1205) within its budget", async () => {
      const { writer, reader } = await writerAndReader(one, three);
      // FLUSH TABLES WITH READ LOCK pauses galera-3's applier (the node desyncs): a lag that lasts until UNLOCK TABLES.
      const root = await createConnection({ socketPath: socketOf(three.name), user: 'root' });
      try {
        await root.query('FLUSH TABLES WITH READ LOCK');
        const token = tokenOf((await transaction(writer, [['INSERT INTO notes (origin, body) VALUES (?, ?)', [one.name, 'paused']]])).commit);
        await waitFor('galera-3 to leave Synced', async () => (await galeraStatus(three)).localState !== 'Synced', { timeoutMs: 5_000 });

        expect(await rows(reader, "SELECT id FROM notes WHERE body = 'paused'")).toEqual([]);
        const waited = Date.now();
        await expect(reader.query('SELECT WSREP_SYNC_WAIT_UPTO_GTID(?, 1)', [token])).rejects.toMatchObject({ errno: 1205 });
        expect(Date.now() - waited).toBeGreaterThanOrEqual(900);

        await root.query('UNLOCK TABLES');
        const [[waitedFor]] = await reader.query<RowDataPacket[]>('SELECT WSREP_SYNC_WAIT_UPTO_GTID(?, 5) AS applied', [token]);
        expect(Number(waitedFor.applied)).toBe(1);
        expect(await rows(reader, "SELECT origin FROM notes WHERE body = 'paused'")).toEqual([{ origin: one.name }]);
      } finally {
        await root.query('UNLOCK TABLES').catch(() => undefined);
        await root.end();
      }
    });
  });

  describe('quorum loss', () => {
    it('should answer 1047 on a node cut off from the two others, which keep quorum and take writes, and rejoin once its link is back', async () => {
      const cut = Date.now();
      setLinkUp(three, false);
      try {
        await waitFor('galera-3 to lose quorum', async () => (await galeraStatus(three)).clusterStatus !== 'Primary', { timeoutMs: 20_000, intervalMs: 50 });
        const lostQuorumMs = Date.now() - cut;
        await waitForSynced([one, two], 2, 20_000);
        const evictedMs = Date.now() - cut;

        // An app server on galera-3's side of the partition (its socket) gets 1047, which says "another node".
        const isolated = await connect(three, { throughSocket: true });
        const refused = isolated.query('SELECT COUNT(*) FROM notes');
        await expect(refused).rejects.toMatchObject({ errno: 1047 });
        expect(classifyGaleraError(await refused.catch((error: unknown) => error))).toBe('node-unavailable');
        expect(await galeraStatus(three)).toMatchObject({ clusterStatus: 'non-Primary', ready: 'OFF' });
        // The majority takes writes.
        for (const node of [one, two]) await (await connect(node)).query('INSERT INTO notes (origin, body) VALUES (?, ?)', [node.name, 'during the partition']);
        report(`partition: galera-3 without quorum ${lostQuorumMs} ms after its link went down; the two others Synced as a cluster of 2 after ${evictedMs} ms`);
      } finally {
        setLinkUp(three, true);
      }
      const rejoining = Date.now();
      await waitForSynced(nodes, 3, 60_000);
      report(`partition healed: galera-3 Synced in a cluster of 3 ${Date.now() - rejoining} ms after its link came back`);

      const seen = await causalRead<{ origin: string }>(three, "SELECT origin FROM notes WHERE body = 'during the partition' ORDER BY origin");
      expect(seen.map((row) => row.origin)).toEqual([one.name, two.name]);
    }, 90_000);
  });

  describe('a node killed under load', () => {
    it('should fail no transaction beyond those in flight on the killed node, and take it back by IST once it restarts', async () => {
      const victim = two;
      const workers = 6;
      type Worker = { node: number; connection?: Connection; inFlight: boolean; seq: number; acknowledged: number[] };
      const state: Worker[] = Array.from({ length: workers }, (_, w) => ({ node: w % nodes.length, inFlight: false, seq: 0, acknowledged: [] }));
      const failures: { key: string; node: string; error: unknown }[] = [];
      const unexpected: unknown[] = [];
      const lostBeforeCommit: string[] = [];
      const counters = new CertificationRetryCounters();
      let stopping = false;

      /**
       * A client that moves to the next node when its node is unavailable. A transaction lost before its COMMIT
       * was sent did not commit, and the next one takes its place; one lost at COMMIT may have committed, and the
       * client reports it failed.
       */
      async function work(w: number): Promise<void> {
        const me = state[w];
        while (!stopping) {
          const node = nodes[me.node];
          try {
            me.connection ??= await connect(node);
          } catch (error) {
            if (classifyGaleraError(error) !== 'node-unavailable') unexpected.push(error);
            me.node = (me.node + 1) % nodes.length;
            continue;
          }
          const connection = me.connection;
          const seq = ++me.seq;
          let committing = false;
          me.inFlight = true;
          try {
            await retryOnCertificationConflict(
              async () => {
                committing = false;
                await connection.query('BEGIN');
                await connection.query('INSERT INTO load_writes VALUES (?, ?)', [w, seq]);
                committing = true;
                await connection.query('COMMIT');
              },
              { attempts: 5, baseDelayMs: 5, counters },
            );
            me.acknowledged.push(seq);
          } catch (error) {
            if (classifyGaleraError(error) !== 'node-unavailable') unexpected.push(error);
            if (committing) failures.push({ key: `${w}-${seq}`, node: node.name, error });
            else lostBeforeCommit.push(`${w}-${seq}`);
            connection.destroy();
            me.connection = undefined;
            me.node = (me.node + 1) % nodes.length;
          } finally {
            me.inFlight = false;
          }
        }
      }

      const load = state.map((_, w) => work(w));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const inFlightAtKill = state.filter((worker) => nodes[worker.node] === victim && worker.inFlight).length;
      const before = stateTransfersOf(victim);
      await killGaleraNode(victim);
      const killed = Date.now();
      await waitForSynced([one, three], 2, 20_000);
      const evictedMs = Date.now() - killed;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      stopping = true;
      await Promise.all(load);
      const acknowledged = state.reduce((sum, worker) => sum + worker.acknowledged.length, 0);

      const restarting = Date.now();
      await restartGaleraNode(victim);
      await waitForSynced(nodes, 3, 60_000);
      const rejoinMs = Date.now() - restarting;
      const after = stateTransfersOf(victim);
      report(
        `kill: ${acknowledged} transactions acknowledged, ${failures.length} failed at COMMIT and ${lostBeforeCommit.length} lost before it ` +
          `(${inFlightAtKill} in flight on ${victim.name} at the kill); ` +
          `the two others a cluster of 2 after ${evictedMs} ms; ${victim.name} restarted and Synced in ${rejoinMs} ms ` +
          `(${after.ist - before.ist} IST, ${after.sst - before.sst} SST)`,
      );

      expect(unexpected).toEqual([]);
      expect(failures.length).toBeLessThanOrEqual(inFlightAtKill);
      expect(failures.every((failure) => failure.node === victim.name)).toBe(true);
      expect(after.ist - before.ist).toBe(1);
      expect(after.sst - before.sst).toBe(0);
      // Every acknowledged write is on every node, the restarted one included.
      const failedButCommitted: string[][] = [];
      for (const node of nodes) {
        const present = await causalRead<{ writer: number; seq: number }>(node, 'SELECT writer, seq FROM load_writes');
        const keys = new Set(present.map((row) => `${row.writer}-${row.seq}`));
        const missing = state.flatMap((worker, w) => worker.acknowledged.filter((seq) => !keys.has(`${w}-${seq}`)).map((seq) => `${w}-${seq}`));
        expect([node.name, missing]).toEqual([node.name, []]);
        // A transaction lost before its COMMIT was sent committed nowhere: the client was right to run the next one instead.
        expect([node.name, lostBeforeCommit.filter((key) => keys.has(key))]).toEqual([node.name, []]);
        failedButCommitted.push(failures.filter((failure) => keys.has(failure.key)).map((failure) => failure.key));
      }
      // Whether a transaction lost at COMMIT committed is unknown to its client, but the same on every node.
      expect(failedButCommitted.slice(1)).toEqual([failedButCommitted[0], failedButCommitted[0]]);
      report(`kill: of the ${failures.length} transactions failed at COMMIT, ${failedButCommitted[0].length} had committed`);
    }, 120_000);
  });
});
