import { existsSync } from 'node:fs';
import {
  appLogin,
  createUsers,
  detectDivergence,
  MARIADB_DIR,
  namespacesLeft,
  nodesAgree,
  removeMariaDbNodes,
  replicateFrom,
  replicationStatus,
  ringChecksums,
  ringNodes,
  ringSourceOf,
  sql,
  startMariaDbNodes,
  waitForReplication,
} from '../../stack/native/mariadb';
import { waitFor } from '../../stack/native/shell';

/**
 * Circular replication, A→B→C→A: every node takes writes and passes on what it applies (log_slave_updates), each
 * node's writes in its own GTID domain, auto-increments interleaved (increment 3, offsets 1, 2, 3). It runs, as
 * issue 13's seed describes it, and this spec shows why the template does not recommend it (docs/mariadb.md): the
 * ring has no conflict detection. Two nodes updating the same row end up with different data while every link
 * reports itself healthy, so the spec asserts that a checksum comparison across the nodes detects the divergence,
 * not that it cannot happen; two nodes inserting the same unique value stop the ring.
 */
const ring = ringNodes;
const [a, b, c] = ring;
const asApp = { as: appLogin, database: 'app' };
const report = (line: string) => process.stdout.write(`  ${line}\n`);

describe('Circular replication A→B→C→A (MariaDB, GTID)', () => {
  beforeAll(async () => {
    const started = Date.now();
    await removeMariaDbNodes(ring); // what a crashed run left behind
    await startMariaDbNodes(ring);
    await Promise.all(ring.map((node) => createUsers(node)));
    for (const node of ring) await replicateFrom(node, ringSourceOf(node));
    await waitForReplication(ring);
    report(`ring of 3 started and replicating in ${Date.now() - started} ms`);
  }, 180_000);

  afterAll(async () => {
    await removeMariaDbNodes(ring);

    expect(namespacesLeft(ring)).toEqual([]);
    expect(existsSync(MARIADB_DIR)).toBe(false);
  }, 120_000);

  it('should pass a write on any node around the ring to the two others', async () => {
    await sql(b, 'CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, origin VARCHAR(16) NOT NULL, n INT NOT NULL)', asApp);

    const divergence = detectDivergence(await ringChecksums(ring, ['app.items']));

    expect(divergence).toEqual({ tables: [], stoppedLinks: [], positionsMatch: true });
  });

  it('should keep auto-increments apart when all three nodes insert at once (offsets 1, 2, 3 of 3)', async () => {
    const perNode = 30;

    await Promise.all(
      ring.map((node) =>
        sql(node, Array.from({ length: perNode }, (_, n) => `INSERT INTO items (origin, n) VALUES ('${node.name}', ${n})`).join(';\n'), asApp),
      ),
    );
    const checksums = await ringChecksums(ring, ['app.items']);
    const divergence = detectDivergence(checksums);

    expect(nodesAgree(divergence)).toBe(true);
    expect(new Set(checksums.map((node) => node.checksums['app.items'])).size).toBe(1);
    for (const node of ring) {
      const rows = await sql(node, 'SELECT origin, MIN(id % 3), MAX(id % 3), COUNT(DISTINCT id) FROM items GROUP BY origin ORDER BY origin', asApp);
      // Each node's ids are ≡ its offset (mod 3): none can collide with another node's.
      expect(rows).toEqual(ring.map((origin, i) => [origin.name, String((i + 1) % 3), String((i + 1) % 3), String(perNode)]));
    }
  });

  it('should let the same row updated on two nodes diverge silently, and detect it by checksums', async () => {
    await sql(a, 'CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL); INSERT INTO accounts VALUES (1, 100)', asApp);
    expect(nodesAgree(detectDivergence(await ringChecksums(ring, ['app.accounts'])))).toBe(true);

    // The hop A→B pauses (as a network partition or a slow link would): A and B each take a write to row 1.
    await sql(b, 'STOP SLAVE');
    await sql(a, 'UPDATE accounts SET balance = balance - 30 WHERE id = 1', asApp);
    await sql(b, 'UPDATE accounts SET balance = balance + 50 WHERE id = 1', asApp);
    await sql(b, 'START SLAVE');
    const detecting = Date.now();
    const checksums = await ringChecksums(ring, ['app.accounts']);
    const divergence = detectDivergence(checksums);
    report(`divergence detected ${Date.now() - detecting} ms after the link came back`);

    // Silent: every link runs, no error, every node holds every transaction…
    const statuses = await Promise.all(ring.map((node) => replicationStatus(node)));
    expect(statuses.map((s) => [s.node, s.ioRunning, s.sqlRunning, s.lastSqlErrno])).toEqual(ring.map((node) => [node.name, 'Yes', 'Yes', 0]));
    expect(divergence.stoppedLinks).toEqual([]);
    expect(divergence.positionsMatch).toBe(true);
    // …yet A applied B's row image last (150) while B and C applied A's (70): each node's last writer won.
    const balances = await Promise.all(ring.map((node) => sql(node, 'SELECT balance FROM accounts WHERE id = 1', asApp)));
    expect(balances).toEqual([[['150']], [['70']], [['70']]]);
    // Only the checksum comparison shows it.
    expect(divergence.tables).toEqual([
      { table: 'app.accounts', checksums: { [a.name]: expect.any(String), [b.name]: expect.any(String), [c.name]: expect.any(String) } },
    ]);
    expect(divergence.tables[0].checksums[a.name]).not.toBe(divergence.tables[0].checksums[b.name]);
    expect(divergence.tables[0].checksums[b.name]).toBe(divergence.tables[0].checksums[c.name]);
    expect(nodesAgree(divergence)).toBe(false);
  });

  it('should stop the ring when two nodes insert the same unique value (1062 on the SQL threads)', async () => {
    await sql(a, 'CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(64) NOT NULL UNIQUE)', asApp);
    expect(nodesAgree(detectDivergence(await ringChecksums(ring, ['app.users'])))).toBe(true);

    await sql(b, 'STOP SLAVE');
    await sql(a, "INSERT INTO users (email) VALUES ('same@example.test')", asApp);
    await sql(b, "INSERT INTO users (email) VALUES ('same@example.test')", asApp);
    const inserted = Date.now();
    // B's row goes B→C→A: A already has the email.
    await waitFor('A to refuse B\'s row', async () => (await replicationStatus(a)).lastSqlErrno === 1062, { timeoutMs: 20_000 });
    const aStopped = Date.now() - inserted;
    await sql(b, 'START SLAVE');
    // A's row reaches B: B already has the email.
    await waitFor('B to refuse A\'s row', async () => (await replicationStatus(b)).lastSqlErrno === 1062, { timeoutMs: 20_000 });
    const detecting = Date.now();
    const divergence = detectDivergence(await ringChecksums(ring, ['app.users']));
    report(`A's SQL thread stopped ${aStopped} ms after B's insert; the stopped links reported in ${Date.now() - detecting} ms`);

    const statuses = await Promise.all(ring.map((node) => replicationStatus(node)));
    expect(statuses.map((s) => [s.node, s.sqlRunning, s.lastSqlErrno])).toEqual([
      [a.name, 'No', 1062],
      [b.name, 'No', 1062],
      [c.name, 'Yes', 0],
    ]);
    expect(divergence.stoppedLinks.map((link) => [link.node, link.sqlRunning, link.errno])).toEqual([
      [a.name, 'No', 1062],
      [b.name, 'No', 1062],
    ]);
    expect(divergence.stoppedLinks[0].error).toMatch(/Duplicate entry 'same@example.test'/);
    // Writes on any node now stop at A or B: the ring no longer converges.
    expect(divergence.positionsMatch).toBe(false);
    expect(divergence.tables.map((t) => t.table)).toEqual(['app.users']);
  });
});
