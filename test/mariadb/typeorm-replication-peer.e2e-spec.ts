import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import {
  appLogin,
  createUsers,
  gtidPrimary,
  gtidReplicas,
  MARIADB_DIR,
  MARIADB_PORT,
  MariaDbNode,
  mariadbCredentials,
  namespacesLeft,
  removeMariaDbNodes,
  replicateFrom,
  sql,
  startMariaDbNodes,
  waitForCatchUp,
  waitForReplication,
} from '../../stack/native/mariadb';
import { CREATE_NOTES_TABLE, Note } from './note.entity';
import { describePairs, describeRestart, ReplicaRestartFigures, readsAcrossReplicaRestart, saveThenFind, SaveThenFindFigures, SIDE_BY_SIDE } from './replication-scenarios';

/**
 * The peer of issue 13's side-by-side: TypeORM's own `replication` option on the GTID harness (a primary, two
 * read_only replicas), configured as a TypeORM user would, logged in as the app user. What it gives a service
 * that saves then finds, and what it does when a replica restarts. The template's routing runs the same
 * scenarios (replication-scenarios.ts) on the same harness. See
 * docs/mariadb.md, "TypeORM's own replication on MariaDB".
 */
const primary = gtidPrimary;
const replicas = gtidReplicas;
const [replica1] = replicas;
const nodes = [primary, ...replicas];
const asApp = { as: appLogin, database: 'app' };
const report = (line: string) => process.stdout.write(`  ${line}\n`);

const { pairs: PAIRS, restart: RESTART } = SIDE_BY_SIDE;

/**
 * TypeORM's replication as its documentation shows it: writes to `master`, reads to the `slaves`, and nothing else
 * set unless `cluster` says so (mysql2's PoolCluster options, which TypeORM passes on).
 */
async function typeOrmReplication(slaves: readonly MariaDbNode[], cluster: { restoreNodeTimeout?: number } = {}): Promise<DataSource> {
  const { user, password, database } = mariadbCredentials.app;
  const login = (node: MariaDbNode) => ({ host: node.address, port: MARIADB_PORT, username: user, password, database });
  return new DataSource({ type: 'mariadb', replication: { master: login(primary), slaves: slaves.map(login), ...cluster }, entities: [Note] }).initialize();
}

describe("TypeORM's own replication on MariaDB (a primary and two read_only replicas, GTID)", () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    const started = Date.now();
    await removeMariaDbNodes(nodes); // what a crashed run left behind
    await startMariaDbNodes(nodes);
    await Promise.all(nodes.map((node) => createUsers(node)));
    await Promise.all(replicas.map((replica) => replicateFrom(replica, primary)));
    await waitForReplication(replicas);
    await sql(primary, CREATE_NOTES_TABLE, asApp);
    await waitForCatchUp(replicas, primary);
    dataSource = await typeOrmReplication(replicas);
    report(`primary and 2 replicas started and replicating, TypeORM connected, in ${Date.now() - started} ms`);
  }, 180_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await removeMariaDbNodes(nodes);

    expect(namespacesLeft(nodes)).toEqual([]);
    expect(existsSync(MARIADB_DIR)).toBe(false);
  }, 120_000);

  describe('save then find, as a service does', () => {
    it('should read every find from the replicas, both of them, while every save goes to the primary', async () => {
      const figures = await saveThenFind(dataSource, { primary, replicas }, { pairs: PAIRS });
      report(`replication running: ${describePairs(figures)}`);

      expect(figures.failed).toBe(0);
      // One SELECT per find, spread over both replicas (mysql2's PoolCluster takes them round-robin).
      expect(figures.selectsByNode[replicas[0].name] + figures.selectsByNode[replicas[1].name]).toBe(PAIRS);
      for (const replica of replicas) expect(figures.selectsByNode[replica.name]).toBeGreaterThan(0);
    }, 60_000);

    it('should find the old value or nothing after every save while the replicas lag: no read-your-writes', async () => {
      await Promise.all(replicas.map((replica) => sql(replica, 'STOP SLAVE SQL_THREAD')));
      let figures: SaveThenFindFigures;
      try {
        figures = await saveThenFind(dataSource, { primary, replicas }, { pairs: PAIRS });
      } finally {
        await Promise.all(replicas.map((replica) => sql(replica, 'START SLAVE SQL_THREAD')));
      }
      report(`replicas' SQL threads stopped: ${describePairs(figures)}`);

      expect(figures.failed).toBe(0);
      expect(figures.stale).toBe(PAIRS);
      await waitForCatchUp(replicas, primary);
    }, 60_000);
  });

  describe('a replica restarted under a read loop', () => {
    it('should keep reading from the other replica and never read from the restarted one again', async () => {
      const figures = await readsAcrossReplicaRestart(dataSource, { primary, replicas }, replica1, RESTART);
      report(`2 slaves, ${replica1.name} restarted: ${describeRestart(figures)}`);

      expect(figures.phases.before.failed).toBe(0);
      expect(figures.phases.after.failed).toBe(0);
      expect(figures.restartedReplicaSelects).toBe(0);
    }, 90_000);

    it('should fail every read with POOL_NOEXIST once its only replica has restarted, and not recover without a new DataSource', async () => {
      const oneReplica = await typeOrmReplication([replica1]);
      let figures: ReplicaRestartFigures;
      try {
        figures = await readsAcrossReplicaRestart(oneReplica, { primary, replicas }, replica1, RESTART);
      } finally {
        await oneReplica.destroy();
      }
      report(`1 slave, ${replica1.name} restarted: ${describeRestart(figures)}`);

      expect(figures.phases.before.failed).toBe(0);
      expect(figures.phases.stopped.reads).toBeGreaterThan(0);
      expect(figures.phases.stopped.failed).toBe(figures.phases.stopped.reads);
      expect(figures.phases.after.reads).toBeGreaterThan(0);
      expect(figures.phases.after.failed).toBe(figures.phases.after.reads);
      expect(Object.keys(figures.phases.after.errorCodes)).toEqual(['POOL_NOEXIST']);
      expect(figures.recoveredAfterMs).toBeNull();
      expect(figures.restartedReplicaSelects).toBe(0);
    }, 90_000);

    it('should read from its only replica again once it is back when restoreNodeTimeout is set (off by default)', async () => {
      // restoreNodeTimeout > 0: mysql2 takes a failing node offline for that long instead of removing it.
      const oneReplica = await typeOrmReplication([replica1], { restoreNodeTimeout: 1_000 });
      let figures: ReplicaRestartFigures;
      try {
        figures = await readsAcrossReplicaRestart(oneReplica, { primary, replicas }, replica1, RESTART);
      } finally {
        await oneReplica.destroy();
      }
      report(`1 slave, restoreNodeTimeout 1000 ms, ${replica1.name} restarted: ${describeRestart(figures)}`);

      expect(figures.phases.before.failed).toBe(0);
      // Offline, not removed: the reads fail with POOL_NONEONLINE instead of POOL_NOEXIST, and none goes to the primary.
      expect(figures.phases.stopped.reads).toBeGreaterThan(0);
      expect(figures.phases.stopped.failed).toBe(figures.phases.stopped.reads);
      expect(figures.phases.stopped.errorCodes).toHaveProperty('POOL_NONEONLINE');
      expect(figures.recoveredAfterMs).not.toBeNull();
      expect(figures.restartedReplicaSelects).toBeGreaterThan(0);
    }, 90_000);
  });
});
