import { existsSync } from 'node:fs';
import {
  appLogin,
  createUsers,
  gtidPrimary,
  gtidReplicas,
  MARIADB_DIR,
  masterGtidWait,
  namespacesLeft,
  positionIncludes,
  removeMariaDbNodes,
  replicateFrom,
  replicationStatus,
  setLinkUp,
  sql,
  SqlError,
  sqlValue,
  startMariaDbNodes,
  waitForReplication,
} from '../../stack/native/mariadb';
import { waitFor } from '../../stack/native/shell';

/**
 * Async GTID replication, the shape issue 13 (part 2) gives MariaDB: a primary and two read_only replicas, one GTID
 * domain, gtid_strict_mode on every node. What the dialect's routing will rely on, shown on real servers: read_only
 * binds the app's user but not root, a GTID from the writer's own session, and MASTER_GTID_WAIT as the
 * "has this replica applied my write?" question (docs/mariadb.md).
 */
// The replicas start with read_only=ON on their command line (stack/native/mariadb.ts, as in compose).
const primary = gtidPrimary;
const replicas = gtidReplicas;
const [replica1, replica2] = replicas;
const nodes = [primary, ...replicas];
const asApp = { as: appLogin, database: 'app' };
const report = (line: string) => process.stdout.write(`  ${line}\n`);

/** An app write on the primary and the GTID its own session got for it: no second round trip, no other session's GTID. */
async function writeOnPrimary(body: string): Promise<string> {
  const gtid = await sqlValue(primary, `INSERT INTO notes (body) VALUES ('${body}'); SELECT @@last_gtid`, asApp);
  if (!gtid) throw new Error('no @@last_gtid after the INSERT');
  return gtid;
}

describe('GTID replication: a primary and two read_only replicas (MariaDB)', () => {
  beforeAll(async () => {
    const started = Date.now();
    await removeMariaDbNodes(nodes); // what a crashed run left behind
    await startMariaDbNodes(nodes);
    await Promise.all(nodes.map((node) => createUsers(node)));
    await Promise.all(replicas.map((replica) => replicateFrom(replica, primary)));
    await waitForReplication(replicas);
    await sql(primary, 'CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, body VARCHAR(64) NOT NULL)', asApp);
    report(`primary and 2 replicas started and replicating in ${Date.now() - started} ms`);
  }, 180_000);

  afterAll(async () => {
    await removeMariaDbNodes(nodes);

    expect(namespacesLeft(nodes)).toEqual([]);
    expect(existsSync(MARIADB_DIR)).toBe(false);
  }, 120_000);

  describe('the session GTID', () => {
    it("should give the writer its own transaction's GTID after COMMIT (@@last_gtid)", async () => {
      const gtid = await sqlValue(primary, "START TRANSACTION; INSERT INTO notes (body) VALUES ('committed'); COMMIT; SELECT @@last_gtid", asApp);

      expect(gtid).toMatch(/^0-11-\d+$/); // domain 0, the primary's server_id, its sequence number
      expect(await sqlValue(primary, 'SELECT @@gtid_binlog_pos')).toBe(gtid);
    });
  });

  describe('MASTER_GTID_WAIT(gtid, timeout)', () => {
    it('should answer 0 once the replica has applied the GTID', async () => {
      const gtid = await writeOnPrimary('seen');

      expect(await masterGtidWait(replica1, gtid, 5)).toBe(0);
      expect(await sql(replica1, "SELECT COUNT(*) FROM notes WHERE body = 'seen'", asApp)).toEqual([['1']]);
    });

    it("should answer -1 at the timeout while the replica's SQL thread is stopped, and 0 once it applies again", async () => {
      await sql(replica1, 'STOP SLAVE SQL_THREAD');
      try {
        const gtid = await writeOnPrimary('lagging');
        // The IO thread still fetches the event into the relay log: the replica has it, and has not applied it.
        await waitFor('the event in the relay log', async () => positionIncludes((await replicationStatus(replica1)).gtidIoPos, gtid));

        const waited = Date.now();
        const timedOut = await masterGtidWait(replica1, gtid, 1);
        const waitedMs = Date.now() - waited;
        const status = await replicationStatus(replica1);

        expect(timedOut).toBe(-1);
        expect(waitedMs).toBeGreaterThanOrEqual(900);
        expect(await sql(replica1, "SELECT COUNT(*) FROM notes WHERE body = 'lagging'", asApp)).toEqual([['0']]);
        expect(positionIncludes(status.gtidSlavePos, gtid)).toBe(false);
        // The lag a monitor reading Seconds_Behind_Master would see: none (NULL), while the write is missing.
        expect(status.secondsBehindMaster).toBeNull();
        report(`MASTER_GTID_WAIT timed out after ${waitedMs} ms (budget 1 s); Seconds_Behind_Master was ${status.secondsBehindMaster}`);

        await sql(replica1, 'START SLAVE SQL_THREAD');
        const catchingUp = Date.now();
        expect(await masterGtidWait(replica1, gtid, 5)).toBe(0);
        report(`the replica applied it ${Date.now() - catchingUp} ms after its SQL thread started again`);
      } finally {
        await sql(replica1, 'START SLAVE SQL_THREAD');
      }
    });
  });

  describe('lag', () => {
    it('should show Seconds_Behind_Master 0 on a replica cut off from the primary, where GTID positions show the missing write', async () => {
      setLinkUp(replica1, false);
      let gtid: string;
      try {
        gtid = await writeOnPrimary('partitioned');

        const status = await replicationStatus(replica1);
        const primaryPosition = await sqlValue(primary, 'SELECT @@gtid_binlog_pos');

        // Nothing looks wrong from the replica: its IO thread's connection is open, and it has applied all it received.
        expect(status).toMatchObject({ ioRunning: 'Yes', sqlRunning: 'Yes', secondsBehindMaster: '0' });
        expect(positionIncludes(primaryPosition ?? '', gtid)).toBe(true);
        expect(positionIncludes(status.gtidSlavePos, gtid)).toBe(false);
      } finally {
        setLinkUp(replica1, true);
      }
      const reconnected = Date.now();
      expect(await masterGtidWait(replica1, gtid, 30)).toBe(0);
      report(`the partitioned replica applied the write ${Date.now() - reconnected} ms after its link came back`);
    });
  });

  describe('read_only on the replicas', () => {
    it("should refuse the app user's write on a replica (1290)", async () => {
      const write = sql(replica1, "INSERT INTO notes (body) VALUES ('on a replica')", asApp);

      await expect(write).rejects.toBeInstanceOf(SqlError);
      await expect(write).rejects.toMatchObject({ errno: 1290 });
      await expect(write).rejects.toThrow(/--read-only/);
    });

    it("should let root write on a replica, which then stops replicating under gtid_strict_mode once the primary writes", async () => {
      // root has SUPER (so READ_ONLY ADMIN): read_only does not bind it. The write gets a GTID in the replica's
      // own binlog, in the primary's domain 0, with the next sequence number there.
      const rootGtid = await sqlValue(replica2, "INSERT INTO app.notes (body) VALUES ('root on a replica'); SELECT @@last_gtid");
      expect(rootGtid).toMatch(/^0-13-\d+$/);

      // The primary's next transaction comes with a sequence number the replica's binlog already holds.
      await writeOnPrimary('after the root write');
      await waitFor('replica-2 to stop', async () => (await replicationStatus(replica2)).sqlRunning === 'No', { timeoutMs: 20_000 });

      const status = await replicationStatus(replica2);
      expect(status.lastSqlErrno).toBe(1950);
      expect(status.lastSqlError).toMatch(/out-of-order sequence number/);
      report(`replica-2 stopped: ${status.lastSqlErrno} ${status.lastSqlError.split('\n')[0]}`);
      // The other replica, never written to, keeps replicating.
      expect(await replicationStatus(replica1)).toMatchObject({ sqlRunning: 'Yes', lastSqlErrno: 0 });
    });
  });
});
