import {
  detectDivergence,
  gtidPrimary,
  gtidReplicas,
  mariadbdCommand,
  mariaDbNode,
  NodeChecksums,
  nodesAgree,
  positionIncludes,
  positionIncludesAll,
  REPLICATE_FROM_SQL,
  ReplicationStatus,
  replicationSettings,
  ringNodes,
  ringSourceOf,
  samePosition,
  sqlPlaceholders,
  sqlStatements,
  USERS_SQL,
} from './mariadb';

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

describe('positionIncludesAll', () => {
  it('should say a replica has caught up once every domain of the other position is reached', () => {
    expect(positionIncludesAll('0-11-7', '0-11-5')).toBe(true);
    expect(positionIncludesAll('1-1-4,2-2-7', '2-2-7,1-1-3')).toBe(true);
    expect(positionIncludesAll('1-1-4', '1-1-4,2-2-7')).toBe(false);
    expect(positionIncludesAll('0-11-4', '0-11-5')).toBe(false);
    expect(positionIncludesAll('', '')).toBe(true);
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

describe('replicationSettings', () => {
  it('should make the replicas, and only them, read_only, in one GTID domain with the primary', () => {
    expect(replicationSettings(gtidPrimary)['read-only']).toBeUndefined();
    expect(gtidReplicas.map((replica) => replicationSettings(replica)['read-only'])).toEqual(['ON', 'ON']);
    expect(new Set([gtidPrimary, ...gtidReplicas].map((node) => node.gtidDomainId))).toEqual(new Set([0]));
  });

  it('should give each ring node its own server_id and GTID domain, and the one before it as its source', () => {
    expect(ringNodes.map((node) => replicationSettings(node)['gtid-domain-id'])).toEqual(['1', '2', '3']);
    expect(ringNodes.map((node) => replicationSettings(node)['auto-increment-offset'])).toEqual(['1', '2', '3']);
    expect(ringNodes.map((node) => ringSourceOf(node).name)).toEqual(['ring-c', 'ring-a', 'ring-b']);
  });

  it("should put the binary and relay logs in the node's data directory, natively", () => {
    const argv = mariadbdCommand(gtidReplicas[0]);

    expect(argv).toEqual(expect.arrayContaining(['--read-only=ON', expect.stringMatching(/^--log-bin=\/.*\/gtid-replica-1\/data\/binlog$/)]));
    expect(argv).toEqual(expect.arrayContaining([expect.stringMatching(/^--relay-log=\/.*\/gtid-replica-1\/data\/relay$/)]));
  });
});

describe('the SQL every node runs (stack/mariadb/)', () => {
  const users = { APP_DATABASE: 'app', APP_USER: 'app', APP_PASSWORD: 'app-dev-password', REPLICATOR_USER: 'replicator', REPLICATOR_PASSWORD: 'replicator-dev-password' };

  it('should create the database and the two users outside the binary log, app with no global privilege', () => {
    expect(sqlStatements(USERS_SQL, users)).toEqual([
      'SET SESSION sql_log_bin = 0',
      'CREATE DATABASE IF NOT EXISTS app',
      "CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY 'app-dev-password'",
      "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, TRIGGER ON app.* TO 'app'@'%'",
      "CREATE USER IF NOT EXISTS 'replicator'@'%' IDENTIFIED BY 'replicator-dev-password'",
      "GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'%'",
    ]);
  });

  it('should point a replica at its source by GTID, from its own slave position', () => {
    const values = { SOURCE_HOST: '10.213.9.81', SOURCE_PORT: 3306, REPLICATOR_USER: 'replicator', REPLICATOR_PASSWORD: 'replicator-dev-password' };

    expect(sqlStatements(REPLICATE_FROM_SQL, values)).toEqual([
      'STOP SLAVE',
      "CHANGE MASTER TO MASTER_HOST='10.213.9.81', MASTER_PORT=3306, MASTER_USER='replicator', MASTER_PASSWORD='replicator-dev-password', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
      'START SLAVE',
    ]);
  });

  it('should escape a value for a string literal, and refuse a placeholder with no value', () => {
    const [, , createApp] = sqlStatements(USERS_SQL, { ...users, APP_PASSWORD: "it's\\" });

    expect(createApp).toBe("CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY 'it\\'s\\\\'");
    expect(() => sqlStatements(USERS_SQL, { ...users, APP_PASSWORD: undefined as unknown as string })).toThrow(/APP_PASSWORD/);
  });

  it('should name the placeholders of the statements only, not of the comments', () => {
    expect(sqlPlaceholders(USERS_SQL).sort()).toEqual(Object.keys(users).sort());
    expect(sqlPlaceholders(REPLICATE_FROM_SQL).sort()).toEqual(['REPLICATOR_PASSWORD', 'REPLICATOR_USER', 'SOURCE_HOST', 'SOURCE_PORT']);
  });
});
