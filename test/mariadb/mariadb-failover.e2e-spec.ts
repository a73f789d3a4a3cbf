import { existsSync } from 'node:fs';
import { stopDaemon } from '../../stack/native/daemons';
import {
  appLogin,
  createUsers,
  ErrantTransactionsError,
  gtidPrimary,
  gtidReplicas,
  MARIADB_DIR,
  masterGtidWait,
  namespacesLeft,
  promoteMostAdvanced,
  PromotionWouldLoseTransactionsError,
  rejoinAsReplica,
  removeMariaDbNodes,
  replicateFrom,
  replicationStatus,
  sequenceIn,
  setLinkUp,
  sql,
  SqlError,
  sqlValue,
  startMariaDbNodes,
  waitForReplication,
} from '../../stack/native/mariadb';
import { waitFor } from '../../stack/native/shell';

/**
 * Failover of the GTID topology without a manager (MHA does not handle MariaDB's GTIDs: docs/mariadb.md): the
 * primary dies, the replica that applied the most of its domain is promoted, the other follows it, and the old
 * primary comes back as a replica — or is refused, when it holds a write the new primary never received. Each
 * test continues from the state the one before left.
 */
const [replica1, replica2] = gtidReplicas;
const nodes = [gtidPrimary, ...gtidReplicas];
const asApp = { as: appLogin, database: 'app' };
const report = (line: string) => process.stdout.write(`  ${line}\n`);
const rowsOn = async (node: (typeof nodes)[number]) => Number(await sqlValue(node, 'SELECT COUNT(*) FROM items', asApp));
const insertOn = (node: (typeof nodes)[number], count: number) =>
  sqlValue(node, `${Array.from({ length: count }, () => `INSERT INTO items (origin) VALUES ('${node.name}')`).join(';')}; SELECT @@last_gtid`, asApp);
/** The old primary back on its data, read_only from its first moment, as it must be started after a failover. */
const restartReadOnly = (node: (typeof nodes)[number]) => startMariaDbNodes([{ ...node, readOnly: true }]);

describe('GTID failover: promote the most advanced replica, re-point the other, rejoin the old primary (MariaDB)', () => {
  beforeAll(async () => {
    await removeMariaDbNodes(nodes); // what a crashed run left behind
    await startMariaDbNodes(nodes);
    await Promise.all(nodes.map((node) => createUsers(node)));
    await Promise.all(gtidReplicas.map((replica) => replicateFrom(replica, gtidPrimary)));
    await waitForReplication(gtidReplicas);
    await sql(gtidPrimary, 'CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, origin VARCHAR(32) NOT NULL)', asApp);
    const gtid = (await insertOn(gtidPrimary, 3))!;
    await Promise.all(gtidReplicas.map(async (replica) => expect(await masterGtidWait(replica, gtid, 10)).toBe(0)));
  }, 180_000);

  afterAll(async () => {
    await removeMariaDbNodes(nodes);

    expect(namespacesLeft(nodes)).toEqual([]);
    expect(existsSync(MARIADB_DIR)).toBe(false);
  }, 120_000);

  it('should refuse to promote a replica that is behind another: its transactions would be lost', async () => {
    // replica-2 stops fetching; replica-1 gets five more writes; then the primary dies.
    await sql(replica2, 'STOP SLAVE IO_THREAD');
    const last = (await insertOn(gtidPrimary, 5))!;
    expect(await masterGtidWait(replica1, last, 10)).toBe(0);
    await stopDaemon(gtidPrimary.name, 'SIGKILL');

    const refusal = promoteMostAdvanced(gtidReplicas, { prefer: replica2 });

    await expect(refusal).rejects.toThrow(PromotionWouldLoseTransactionsError);
    await expect(refusal).rejects.toThrow(new RegExp(`${replica2.name} has applied 0-11-4, behind ${replica1.name} \\(0-11-9\\)`));
    expect(await sqlValue(replica1, 'SELECT @@read_only')).toBe('1');
  });

  it('should promote the replica that applied the most, and bring the other level through it', async () => {
    const started = Date.now();
    const promotion = await promoteMostAdvanced(gtidReplicas);
    report(`promoted ${promotion.promoted} in ${Date.now() - started} ms: ${JSON.stringify(promotion.candidates)}`);

    expect(promotion).toEqual({
      promoted: replica1.name,
      position: '0-11-9',
      candidates: [
        { node: replica1.name, position: '0-11-9' },
        { node: replica2.name, position: '0-11-4' },
      ],
      repointed: [replica2.name],
      unreachable: [],
    });
    // replica-2 fetches the five it missed from replica-1's binlog (log_slave_updates kept them there).
    await waitFor('replica-2 to catch up through replica-1', async () => (await rowsOn(replica2)) === 8, { timeoutMs: 10_000 });
    // The new primary takes the app's writes; the domain's sequence goes on, under replica-1's server_id.
    const gtid = (await insertOn(replica1, 1))!;
    expect(gtid).toBe('0-12-10');
    expect(await masterGtidWait(replica2, gtid, 10)).toBe(0);
    await expect(sql(replica2, "INSERT INTO items (origin) VALUES ('replica-2')", asApp)).rejects.toMatchObject({ errno: 1290 });
    expect((await replicationStatus(replica2)).lastIoErrno).toBe(0);
  });

  it('should take the old primary back as a replica of the new one when it holds nothing the new one lacks', async () => {
    await restartReadOnly(gtidPrimary);

    await rejoinAsReplica(gtidPrimary, replica1);

    await waitFor('the old primary to apply the write made after the failover', async () => (await rowsOn(gtidPrimary)) === 9, { timeoutMs: 10_000 });
    expect(sequenceIn((await sqlValue(gtidPrimary, 'SELECT @@gtid_slave_pos'))!, 0)).toBe(10);
    await expect(sql(gtidPrimary, "INSERT INTO items (origin) VALUES ('old primary')", asApp)).rejects.toBeInstanceOf(SqlError);
  });

  it('should refuse to rejoin a former primary holding a write the new primary never received (errant GTID, 1236)', async () => {
    // replica-1, the primary now, is cut off and commits one more write (its own client, over the socket), then dies.
    setLinkUp(replica1, false);
    const errant = await sqlValue(replica1, "INSERT INTO app.items (origin) VALUES ('lost'); SELECT @@last_gtid");
    await stopDaemon(replica1.name, 'SIGKILL');
    setLinkUp(replica1, true);
    const promotion = await promoteMostAdvanced([gtidPrimary, replica2], { prefer: gtidPrimary });
    expect(promotion.promoted).toBe(gtidPrimary.name);
    // The new primary's next write takes the same sequence number as the lost one, under its own server_id.
    expect(await insertOn(gtidPrimary, 1)).toBe('0-11-11');
    expect(errant).toBe('0-12-11');
    await restartReadOnly(replica1);

    const rejoin = rejoinAsReplica(replica1, gtidPrimary);

    await expect(rejoin).rejects.toThrow(ErrantTransactionsError);
    await expect(rejoin).rejects.toThrow(/0-12-11/);
    report(String(await rejoin.catch((error: Error) => error.message)));
    // The rest of the topology is unharmed.
    expect(await rowsOn(replica2)).toBe(await rowsOn(gtidPrimary));
  });
});
