import { detectDivergence, mariadbdCommand, mariaDbNode, NodeChecksums, nodesAgree, positionIncludes, ReplicationStatus, samePosition } from './mariadb';

const running = (node: string, overrides: Partial<ReplicationStatus> = {}): ReplicationStatus => ({
  node,
  configured: true,
  ioRunning: 'Yes',
  sqlRunning: 'Yes',
  lastIoErrno: 0,
  lastIoError: '',
  lastSqlErrno: 0,
  lastSqlError: '',
  secondsBehindMaster: '0',
  gtidIoPos: '',
  gtidSlavePos: '',
  ...overrides,
});

const nodeReport = (node: string, checksum: string, overrides: Partial<NodeChecksums> = {}): NodeChecksums => ({
  node,
  binlogPosition: '1-1-4,2-2-7,3-3-2',
  checksums: { 'app.accounts': checksum },
  replication: running(node),
  ...overrides,
});

describe('GTID positions', () => {
  it('should compare positions domain by domain, whatever their order', () => {
    expect(samePosition('1-1-4,2-2-7', '2-2-7,1-1-4')).toBe(true);
    expect(samePosition('1-1-4,2-2-7', '1-1-4,2-2-8')).toBe(false);
    expect(samePosition('1-1-4', '1-1-4,2-2-7')).toBe(false);
    expect(samePosition('', '')).toBe(true);
  });

  it("should say a position includes a GTID once the GTID's domain has reached its sequence number", () => {
    expect(positionIncludes('0-11-5', '0-11-5')).toBe(true);
    expect(positionIncludes('0-11-6', '0-11-5')).toBe(true);
    expect(positionIncludes('0-11-4', '0-11-5')).toBe(false);
    expect(positionIncludes('1-11-9', '0-11-5')).toBe(false);
  });
});

describe('detectDivergence', () => {
  it('should find nothing when every node has the same checksums, the same position, and running links', () => {
    const divergence = detectDivergence([nodeReport('a', '42'), nodeReport('b', '42'), nodeReport('c', '42')]);

    expect(divergence).toEqual({ tables: [], stoppedLinks: [], positionsMatch: true });
    expect(nodesAgree(divergence)).toBe(true);
  });

  it('should report a table whose checksum differs, even while every link runs (silent divergence)', () => {
    const divergence = detectDivergence([nodeReport('a', '150'), nodeReport('b', '70'), nodeReport('c', '70')]);

    expect(divergence.tables).toEqual([{ table: 'app.accounts', checksums: { a: '150', b: '70', c: '70' } }]);
    expect(divergence.stoppedLinks).toEqual([]);
    expect(nodesAgree(divergence)).toBe(false);
  });

  it('should report a stopped link with its error, and positions that no longer match', () => {
    const stopped = running('a', { sqlRunning: 'No', lastSqlErrno: 1062, lastSqlError: "Duplicate entry 'x' for key 'email'" });

    const divergence = detectDivergence([
      nodeReport('a', '42', { replication: stopped, binlogPosition: '1-1-5,2-2-7,3-3-2' }),
      nodeReport('b', '42'),
      nodeReport('c', '42'),
    ]);

    expect(divergence.stoppedLinks).toEqual([{ node: 'a', ioRunning: 'Yes', sqlRunning: 'No', errno: 1062, error: "Duplicate entry 'x' for key 'email'" }]);
    expect(divergence.positionsMatch).toBe(false);
  });

  it('should not count a node that replicates from nobody as a stopped link', () => {
    const primary = nodeReport('p', '42', { replication: running('p', { configured: false, ioRunning: null, sqlRunning: null }) });

    expect(detectDivergence([primary, nodeReport('r', '42')]).stoppedLinks).toEqual([]);
  });
});

describe('mariadbdCommand', () => {
  it("should read none of this machine's MariaDB configuration and bind only the node's own address", () => {
    const argv = mariadbdCommand(mariaDbNode('ring-a', 71, { serverId: 1, gtidDomainId: 1, autoIncrement: { increment: 3, offset: 1 } }));

    expect(argv[1]).toBe('--no-defaults'); // mariadbd accepts it only as its first option
    expect(argv).toEqual(expect.arrayContaining([expect.stringMatching(/^--bind-address=10\.213\.\d+\.71$/), '--port=3306', '--server-id=1', '--gtid-domain-id=1']));
    expect(argv).toEqual(expect.arrayContaining(['--gtid-strict-mode=ON', '--log-slave-updates=ON', '--auto-increment-increment=3', '--auto-increment-offset=1']));
    expect(argv.filter((arg) => arg.includes('/run/mysqld') || arg.includes('/var/lib/mysql'))).toEqual([]);
  });
});
