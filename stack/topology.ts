/**
 * The stack's topology: one entry per service, the same names as docker-compose.yml.
 * The native stack gives each service its own network namespace on one bridge, so every
 * service listens on its usual port and resolves the others through the stack's DNS server.
 */
/**
 * `postgres-primary` / `postgres-replica`: a PostgreSQL node under Patroni, by the role it starts with. The
 * names are identities; the roles move on failover (Patroni promotes, the apps follow).
 * `postgres-analytics`: a replica under Patroni for reports only (docs/analytics.md): never promoted, never in
 * `db-replicas`, with its own recovery-conflict settings.
 * `backup`: where pgBackRest's backup and restore commands run (docs/backups.md). `restored-postgres`: a
 * PostgreSQL server restored from the backups to a point in time, alone: no Patroni, no cluster, no `db-replicas`.
 * `redis` / `redis-replica` likewise: the Redis node that starts as the master, and the one that starts as its
 * replica; `redis-sentinel` watches them, promotes the replica when the master fails, and tells the apps where
 * the master is now.
 * `mariadb`: a MariaDB server that a harness of the second dialect starts in a namespace of its own (issue 13).
 * `mariadb-primary` / `mariadb-replica`: the stack's database nodes on MariaDB (`DB_DIALECT=mariadb npm run stack
 * -- up`), by the role each starts with; `npm run stack -- promote` moves the roles.
 * `mariadb-galera`: a member of the stack's Galera cluster (`DB_TOPOLOGY=galera`): no role, every member takes writes.
 */
export type ServiceKind =
  | 'dns'
  | 'lb'
  | 'app'
  | 'etcd'
  | 'postgres-primary'
  | 'postgres-replica'
  | 'postgres-analytics'
  | 'restored-postgres'
  | 'backup'
  | 'redis'
  | 'redis-replica'
  | 'redis-sentinel'
  | 'prometheus'
  | 'job'
  | 'client'
  | 'mariadb'
  | 'mariadb-primary'
  | 'mariadb-replica'
  | 'mariadb-galera';

export interface ServiceSpec {
  name: string;
  kind: ServiceKind;
  /** Address on the stack bridge. */
  address: string;
  /** Port the service listens on (null for clients and one-shot jobs). */
  port: number | null;
  /** Extra DNS names that resolve to this service. */
  aliases?: string[];
  /** Not started by `up`: added on demand (e.g. `npm run stack -- start db-replica-3`). */
  optional?: boolean;
}

/**
 * Which native stack: 0 (the default) is the one `npm run stack` and the tests use. Another index gives a second,
 * separate stack on the same machine (its own subnet, namespaces, bridge and .stack-N directory), so that
 * two checkouts can run their stacks at once, each on its own index: `up` refuses an index that another
 * checkout's stack holds (native/index-claim.ts).
 */
export const STACK_INDEX = Number(process.env.STACK_INDEX ?? 0);
const tagOf = (index: number) => (index === 0 ? 'nrs' : `nrs${index}`);
const TAG = tagOf(STACK_INDEX);
/** The highest index: the third byte of the stack's subnet. */
export const MAX_STACK_INDEX = 255;

/** Patroni's REST API port on every PostgreSQL node. */
export const PATRONI_PORT = 8008;

export const SUBNET_PREFIX = `10.213.${STACK_INDEX}`;
export const SUBNET = `${SUBNET_PREFIX}.0/24`;
export const BRIDGE = `${TAG}-br`;
export const BRIDGE_ADDRESS = `${SUBNET_PREFIX}.1`;
/** Every namespace of the stack with that index starts with it (`nrs1-` never starts `nrs12-`'s names). */
export const namespacePrefixOf = (index: number): string => `${tagOf(index)}-`;
export const NAMESPACE_PREFIX = namespacePrefixOf(STACK_INDEX);
/** This machine's end of a service's veth pair (interface names have at most 15 characters). */
export const hostVethOf = (spec: ServiceSpec): string => `${TAG}v${spec.address.split('.').pop()}`;
export const PUBLIC_HOSTNAME = 'api.example.test';
/**
 * lb's port for operators (nginx/conf.d/api.conf): /metrics, /docs, /status, /health/replication, from private
 * addresses only. The public name's port 80 answers those 404.
 */
export const LB_OPERATORS_PORT = 9080;
export const REPLICAS_NAME = 'db-replicas';
/** The name under which the Sentinels know the Redis master (REDIS_SENTINEL_MASTER in stack/app.env). */
export const REDIS_MASTER_NAME = 'redis-master';
/** The port every Sentinel listens on. */
export const SENTINEL_PORT = 26379;

export const SERVICES: readonly ServiceSpec[] = [
  { name: 'dns', kind: 'dns', address: `${SUBNET_PREFIX}.2`, port: 53 },
  { name: 'etcd', kind: 'etcd', address: `${SUBNET_PREFIX}.6`, port: 2379 },
  { name: 'db-primary', kind: 'postgres-primary', address: `${SUBNET_PREFIX}.21`, port: 5432 },
  { name: 'db-replica-1', kind: 'postgres-replica', address: `${SUBNET_PREFIX}.22`, port: 5432, aliases: [REPLICAS_NAME] },
  { name: 'db-replica-2', kind: 'postgres-replica', address: `${SUBNET_PREFIX}.23`, port: 5432, aliases: [REPLICAS_NAME] },
  {
    name: 'db-replica-3',
    kind: 'postgres-replica',
    address: `${SUBNET_PREFIX}.24`,
    port: 5432,
    aliases: [REPLICAS_NAME],
    optional: true,
  },
  // Reports only: the apps know it as DB_ANALYTICS_HOSTS (stack/app.env), never as one of db-replicas.
  { name: 'db-analytics', kind: 'postgres-analytics', address: `${SUBNET_PREFIX}.26`, port: 5432 },
  // Natively a namespace with no server: pgBackRest reaches every node through its socket directory. In compose,
  // the repository's host (a TLS server), since containers share no sockets.
  { name: 'backup', kind: 'backup', address: `${SUBNET_PREFIX}.52`, port: null },
  // `npm run stack -- restore --to <time>`: never in db-replicas, so never in the apps' rotation.
  { name: 'db-restore', kind: 'restored-postgres', address: `${SUBNET_PREFIX}.25`, port: 5432, optional: true },
  { name: 'redis', kind: 'redis', address: `${SUBNET_PREFIX}.31`, port: 6379 },
  { name: 'redis-replica', kind: 'redis-replica', address: `${SUBNET_PREFIX}.32`, port: 6379 },
  { name: 'redis-sentinel-1', kind: 'redis-sentinel', address: `${SUBNET_PREFIX}.33`, port: SENTINEL_PORT },
  { name: 'redis-sentinel-2', kind: 'redis-sentinel', address: `${SUBNET_PREFIX}.34`, port: SENTINEL_PORT },
  { name: 'redis-sentinel-3', kind: 'redis-sentinel', address: `${SUBNET_PREFIX}.35`, port: SENTINEL_PORT },
  { name: 'migrate', kind: 'job', address: `${SUBNET_PREFIX}.51`, port: null },
  { name: 'app-1', kind: 'app', address: `${SUBNET_PREFIX}.11`, port: 3000 },
  { name: 'app-2', kind: 'app', address: `${SUBNET_PREFIX}.12`, port: 3000 },
  { name: 'lb', kind: 'lb', address: `${SUBNET_PREFIX}.3`, port: 80, aliases: [PUBLIC_HOSTNAME] },
  { name: 'client', kind: 'client', address: `${SUBNET_PREFIX}.41`, port: null },
  // Scrapes the apps' /metrics: `npm run stack -- start prometheus` (or `up --with-prometheus`).
  { name: 'prometheus', kind: 'prometheus', address: `${SUBNET_PREFIX}.61`, port: 9090, optional: true },
];

/** The database the stack runs: the app's DB_DIALECT. */
export type Dialect = 'postgres' | 'mariadb';
export const DIALECTS: readonly Dialect[] = ['postgres', 'mariadb'];
export const MARIADB_PORT = 3306;

/** What only the PostgreSQL stack runs: Patroni's etcd, the analytics replica, pgBackRest, and its optional nodes. */
const POSTGRES_ONLY: readonly ServiceKind[] = ['etcd', 'postgres-analytics', 'backup', 'restored-postgres'];

/**
 * The stack on MariaDB (docs/mariadb.md, "The native stack on MariaDB"): the same services under the same names
 * and addresses, the database nodes MariaDB servers on 3306, and none of what only PostgreSQL needs.
 */
export const MARIADB_SERVICES: readonly ServiceSpec[] = SERVICES.filter(
  (s) => !POSTGRES_ONLY.includes(s.kind) && !(s.kind === 'postgres-replica' && s.optional),
).map((s) => {
  if (s.kind === 'postgres-primary') return { ...s, kind: 'mariadb-primary', port: MARIADB_PORT };
  if (s.kind === 'postgres-replica') return { ...s, kind: 'mariadb-replica', port: MARIADB_PORT };
  return s;
});

/**
 * How the database nodes replicate: the app's DB_TOPOLOGY. `primary-replicas` on either dialect; `galera` on MariaDB
 * only: a cluster of three writable members (docs/galera.md, "The native stack on Galera").
 */
export type Topology = 'primary-replicas' | 'galera';
export const TOPOLOGIES: readonly Topology[] = ['primary-replicas', 'galera'];

/**
 * The stack on Galera: the MariaDB stack's services with a three-member cluster in place of the primary and its
 * replicas, named as docker-compose.yml's `galera` profile names them, at the Galera harness's host addresses
 * (stack/native/galera.ts). No `db-replicas`: each app server lists the members itself (stack/app.galera.env).
 */
export const GALERA_SERVICES: readonly ServiceSpec[] = MARIADB_SERVICES.flatMap((s) => {
  if (s.kind === 'mariadb-replica') return [];
  if (s.kind !== 'mariadb-primary') return [s];
  return [91, 92, 93].map((host, i) => ({ name: `mariadb-galera-${i + 1}`, kind: 'mariadb-galera' as const, address: `${SUBNET_PREFIX}.${host}`, port: MARIADB_PORT }));
});

export function servicesOf(dialect: Dialect, topology: Topology = 'primary-replicas'): readonly ServiceSpec[] {
  if (dialect === 'postgres') return SERVICES;
  return topology === 'galera' ? GALERA_SERVICES : MARIADB_SERVICES;
}

/** Every service name any stack of this index may run, once each: what `down` and stackRunning look for. */
export const EVERY_SERVICE: readonly ServiceSpec[] = [...SERVICES, ...GALERA_SERVICES.filter((g) => !SERVICES.some((s) => s.name === g.name))];

/** A database node of the MariaDB stack: a primary, a replica, or a Galera member. */
export const runsMariaDb = (spec: ServiceSpec): boolean => spec.kind === 'mariadb-primary' || spec.kind === 'mariadb-replica' || spec.kind === 'mariadb-galera';

/** A member of the stack's Galera cluster. */
export const runsGalera = (spec: ServiceSpec): boolean => spec.kind === 'mariadb-galera';

export function service(name: string, services: readonly ServiceSpec[] = SERVICES): ServiceSpec {
  const found = services.find((s) => s.name === name);
  if (!found) {
    throw new Error(`unknown service "${name}"; services: ${services.map((s) => s.name).join(', ')}`);
  }
  return found;
}

/** A PostgreSQL server: a cluster node (under Patroni) or the restored scratch node. */
export const runsPostgres = (spec: ServiceSpec): boolean => spec.kind.startsWith('postgres') || spec.kind === 'restored-postgres';

export const namespaceOf = (name: string): string => `${NAMESPACE_PREFIX}${name}`;

/** Replication slot used by a replica: slot names allow only [a-z0-9_]. */
export const slotOf = (replicaName: string): string => replicaName.replace(/-/g, '_');

/** The DNS records the stack serves, in hosts-file form (one address, many names). */
export function hostsFile(services: readonly ServiceSpec[]): string {
  return services.map((s) => [s.address, s.name, ...(s.aliases ?? [])].join(' ')).join('\n') + '\n';
}
