import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { GALERA_SERVICES, MARIADB_SERVICES, servicesOf } from '../topology';
import { GALERA_GTID_DOMAIN, GALERA_PACKAGES } from './galera';
import { GALERA_STACK_PACKAGES, galeraHostsOf } from './galera-stack';
import { paths } from './paths';

describe('GALERA_SERVICES', () => {
  it("should keep the MariaDB stack's other services and put three members, named as compose's galera profile, in place of its database nodes", () => {
    const others = MARIADB_SERVICES.filter((s) => !s.name.startsWith('db-')).map((s) => s.name);

    expect(GALERA_SERVICES.filter((s) => s.kind !== 'mariadb-galera').map((s) => s.name)).toEqual(others);
    expect(GALERA_SERVICES.filter((s) => s.kind === 'mariadb-galera').map((s) => [s.name, s.port, s.aliases ?? []])).toEqual([
      ['mariadb-galera-1', 3306, []],
      ['mariadb-galera-2', 3306, []],
      ['mariadb-galera-3', 3306, []],
    ]);
  });

  it('should be what servicesOf gives MariaDB on Galera only', () => {
    expect(servicesOf('mariadb', 'galera')).toBe(GALERA_SERVICES);
    expect(servicesOf('mariadb')).toBe(MARIADB_SERVICES);
  });
});

describe('galeraHostsOf', () => {
  it('should make app-N write to mariadb-galera-N and read from the two others; the jobs take app-1 order', () => {
    expect(galeraHostsOf('app-1')).toEqual({ DB_PRIMARY_HOST: 'mariadb-galera-1', DB_REPLICA_HOSTS: 'mariadb-galera-2,mariadb-galera-3' });
    expect(galeraHostsOf('app-2')).toEqual({ DB_PRIMARY_HOST: 'mariadb-galera-2', DB_REPLICA_HOSTS: 'mariadb-galera-3,mariadb-galera-1' });
    expect(galeraHostsOf('migrate')).toEqual(galeraHostsOf('app-1'));
  });
});

describe('stack/app.galera.env', () => {
  it("should give the app the cluster's GTID domain and no db-replicas", () => {
    const env = parseEnv(readFileSync(paths.appEnvGalera, 'utf8'));

    expect(env).toMatchObject({ DB_TOPOLOGY: 'galera', DB_GTID_DOMAIN_ID: String(GALERA_GTID_DOMAIN), DB_REPLICAS_FROM_DNS: '' });
  });
});

describe('GALERA_STACK_PACKAGES', () => {
  it("should ask for the MariaDB stack's packages, the provider and rsync", () => {
    expect(Object.values(GALERA_STACK_PACKAGES)).toEqual(expect.arrayContaining(['mariadb-server', 'redis-server', ...Object.values(GALERA_PACKAGES)]));
  });
});
