import { MARIADB_SERVICES, SERVICES, servicesOf } from '../topology';
import { MARIADB_STACK_PACKAGES, mariaDbNodeOf } from './mariadb-stack';
import { chooseDatabase, requestedDialect, requestedTopology } from './stack-state';

describe('MARIADB_SERVICES', () => {
  it("should keep the PostgreSQL stack's names and addresses, without etcd, the analytics replica, backups or db-replica-3", () => {
    const byName = new Map(SERVICES.map((s) => [s.name, s]));

    expect(MARIADB_SERVICES.map((s) => s.name)).toEqual(SERVICES.map((s) => s.name).filter((n) => !['etcd', 'db-replica-3', 'db-analytics', 'backup', 'db-restore'].includes(n)));
    expect(MARIADB_SERVICES.every((s) => s.address === byName.get(s.name)?.address)).toBe(true);
  });

  it('should run the database nodes as MariaDB on 3306, the replicas still behind db-replicas', () => {
    const db = MARIADB_SERVICES.filter((s) => s.name.startsWith('db-'));

    expect(db.map((s) => [s.name, s.kind, s.port, s.aliases ?? []])).toEqual([
      ['db-primary', 'mariadb-primary', 3306, []],
      ['db-replica-1', 'mariadb-replica', 3306, ['db-replicas']],
      ['db-replica-2', 'mariadb-replica', 3306, ['db-replicas']],
    ]);
  });

  it('should leave the PostgreSQL stack its own list', () => {
    expect(servicesOf('postgres')).toBe(SERVICES);
  });
});

describe('mariaDbNodeOf', () => {
  it('should start every node read_only with a server id of its own, in one GTID domain', () => {
    const nodes = MARIADB_SERVICES.filter((s) => s.name.startsWith('db-')).map(mariaDbNodeOf);

    expect(nodes.map((n) => [n.name, n.serverId, n.gtidDomainId, n.readOnly])).toEqual([
      ['db-primary', 1, 0, true],
      ['db-replica-1', 2, 0, true],
      ['db-replica-2', 3, 0, true],
    ]);
  });
});

describe('MARIADB_STACK_PACKAGES', () => {
  it("should ask for MariaDB and none of PostgreSQL's, Patroni's, etcd's or pgBackRest's packages", () => {
    const packages = Object.values(MARIADB_STACK_PACKAGES);

    expect(packages).toEqual(expect.arrayContaining(['mariadb-server', 'mariadb-client', 'redis-server', 'nginx-light']));
    expect(packages.filter((p) => ['postgresql-15', 'patroni', 'etcd-server', 'pgbackrest'].includes(p))).toEqual([]);
  });
});

describe('chooseDatabase', () => {
  const mariadb = { dialect: 'mariadb', topology: 'primary-replicas' } as const;
  const galera = { dialect: 'mariadb', topology: 'galera' } as const;

  it('should start the recorded dialect and topology when none is asked for: up after down starts the same stack', () => {
    expect(chooseDatabase({}, galera, false)).toEqual(galera);
  });

  it('should start another dialect once the stack is stopped', () => {
    expect(chooseDatabase({ dialect: 'postgres' }, mariadb, false)).toEqual({ dialect: 'postgres', topology: 'primary-replicas' });
  });

  it('should refuse another dialect while the stack runs', () => {
    expect(() => chooseDatabase({ dialect: 'postgres' }, mariadb, true)).toThrow(/runs on mariadb, not postgres: nothing was started/);
  });

  it('should read DB_DIALECT without DB_TOPOLOGY as the default topology, and refuse it while Galera runs', () => {
    expect(chooseDatabase({ dialect: 'mariadb' }, galera, false)).toEqual(mariadb);
    expect(() => chooseDatabase({ dialect: 'mariadb' }, galera, true)).toThrow(/runs on mariadb \(Galera\), not mariadb: nothing was started/);
  });

  it('should refuse Galera on PostgreSQL', () => {
    expect(() => chooseDatabase({ topology: 'galera' }, { dialect: 'postgres', topology: 'primary-replicas' }, false)).toThrow(/galera needs DB_DIALECT=mariadb/);
  });
});

describe('requestedDialect', () => {
  it('should read DB_DIALECT, empty as unset, and refuse an unknown one', () => {
    expect(requestedDialect({ DB_DIALECT: 'mariadb' })).toBe('mariadb');
    expect(requestedDialect({ DB_DIALECT: '' })).toBeUndefined();
    expect(() => requestedDialect({ DB_DIALECT: 'mysql' })).toThrow(/expected one of postgres, mariadb/);
  });
});

describe('requestedTopology', () => {
  it('should read DB_TOPOLOGY, empty as unset, and refuse an unknown one', () => {
    expect(requestedTopology({ DB_TOPOLOGY: 'galera' })).toBe('galera');
    expect(requestedTopology({ DB_TOPOLOGY: '' })).toBeUndefined();
    expect(() => requestedTopology({ DB_TOPOLOGY: 'ring' })).toThrow(/expected one of primary-replicas, galera/);
  });
});
