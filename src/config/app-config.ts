import { hostname } from 'node:os';
import { z } from 'zod';

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

const booleanFlag = z.enum(['true', 'false', '1', '0', 'on', 'off']).transform((v) => ['true', '1', 'on'].includes(v));

/** `host` or `host:port`, comma-separated; an empty string means "no replicas". */
const hostList = z
  .string()
  .transform((v) => v.split(',').map((h) => h.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'expected host or host:port')));

/**
 * The secrets' and passwords' defaults: right for a laptop and the stack, refused in production (anyone can
 * read them here): a token signed with one could be forged, a database with one opened, by anyone.
 */
const DEV_SECRETS = {
  CONSISTENCY_TOKEN_SECRET: 'dev-only-consistency-token-secret',
  JWT_SECRET: 'dev-only-conduit-jwt-secret-never-in-production',
  DB_PASSWORD: 'app-dev-password',
} as const;

/**
 * Every setting the app reads, with the default that fits the stack. This is the only place that reads
 * process.env; the table in docs/configuration.md and .env.example list the same variables.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  APP_INSTANCE: z.string().min(1).default(hostname()),
  PORT: integer(1, 65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HTTP_BODY_LIMIT_BYTES: integer(1024).default(1_048_576),
  /** Above nginx's upstream keepalive_timeout (60 s) so nginx, not Node, closes idle connections: no 502 race. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(1000).default(75_000),
  /** `X-DB-Node` response header; defaults to on unless NODE_ENV=production. */
  EXPOSE_DB_NODE: booleanFlag.optional(),
  SHUTDOWN_GRACE_MS: integer(0).default(2000),
  /** GET /status, the live topology page; defaults to on unless NODE_ENV=production. */
  STATUS_PAGE: booleanFlag.optional(),

  /**
   * The database the app talks to: PostgreSQL (streaming replication), or MariaDB (GTID replication, issue 13,
   * docs/mariadb.md). The same routing either way; only the nodes' driver, positions and column types differ.
   */
  DB_DIALECT: z.enum(['postgres', 'mariadb']).default('postgres'),
  /**
   * MariaDB: `primary-replicas` (GTID replication: one writable node, read_only replicas), or `galera` (every node
   * of a Galera cluster takes writes: the app writes to the first synced node of DB_PRIMARY_HOST, DB_REPLICA_HOSTS
   * and reads from the others; docs/galera.md).
   */
  DB_TOPOLOGY: z.enum(['primary-replicas', 'galera']).default('primary-replicas'),
  /** MariaDB: the GTID domain the primary writes in (on Galera, wsrep_gtid_domain_id); its sequence numbers are the routing's positions. */
  DB_GTID_DOMAIN_ID: integer(0, 4_294_967_295).default(0),
  DB_PRIMARY_HOST: z.string().min(1).default('db-primary'),
  DB_REPLICA_HOSTS: hostList.default(['db-replica-1', 'db-replica-2']),
  DB_PORT: integer(1, 65535).default(5432),
  DB_NAME: z.string().min(1).default('app'),
  DB_USER: z.string().min(1).default('app'),
  DB_PASSWORD: z.string().default(DEV_SECRETS.DB_PASSWORD),
  DB_POOL_MAX_PRIMARY: integer(1, 1000).default(10),
  DB_POOL_MAX_REPLICA: integer(1, 1000).default(10),
  /**
   * How long a pooled connection may sit idle before the pool closes it (pg's default is 10 s). Each new one costs
   * a SCRAM exchange, milliseconds of CPU on both ends, and the app keeps a pool per node: after every lull
   * longer than this, the next burst pays it again.
   */
  DB_POOL_IDLE_TIMEOUT_MS: integer(1000).default(60_000),
  DB_CONNECT_TIMEOUT_MS: integer(100).default(2000),
  DB_STATEMENT_TIMEOUT_MS: integer(100).default(5000),
  /**
   * Replicas for reports only (`@Consistency('analytics')`, docs/analytics.md): probed and reported like the
   * others, never in the read rotation. Empty: analytics reads go to the replicas, under their statement timeout.
   */
  DB_ANALYTICS_HOSTS: hostList.default([]),
  DB_POOL_MAX_ANALYTICS: integer(1, 1000).default(4),
  DB_ANALYTICS_STATEMENT_TIMEOUT_MS: integer(100).default(300_000),
  /**
   * Patroni's REST API port on every node (the stack: 8008). Set, a writable node is elected primary only when
   * Patroni there says it leads (GET /primary); unset, PostgreSQL's word and the timeline decide (no Patroni).
   */
  DB_PATRONI_API_PORT: integer(1, 65535).optional(),
  /**
   * The cluster's system identifier (SELECT system_identifier FROM pg_control_system()): only its nodes are
   * elected or read. Unset, the first primary the app elects pins it.
   */
  DB_SYSTEM_IDENTIFIER: z.string().regex(/^-?\d{1,20}$/, 'expected the decimal system_identifier of pg_control_system()').optional(),

  REPLICA_PROBE_INTERVAL_MS: integer(100).default(1000),
  REPLICA_PROBE_TIMEOUT_MS: integer(50).default(500),
  REPLICA_MAX_LAG_BYTES: integer(0).default(8 * 1024 * 1024),
  REPLICA_MAX_LAG_SECONDS: integer(0).default(30),
  REPLICA_EXCLUDE_AFTER_PROBES: integer(1).default(2),
  REPLICA_READMIT_AFTER_PROBES: integer(1).default(2),

  /**
   * `aware` (the product): lag monitor, consistency tokens, LSN-guarded cache, failover between replicas.
   * `fixed`: every read goes to the first replica, nothing is probed or tracked: the baseline the benchmark
   * uses to measure what the awareness costs (and what a naive set-up gives you).
   */
  REPLICA_ROUTING: z.enum(['aware', 'fixed', 'typeorm']).default('aware'),
  REPLICA_FALLBACK: z.enum(['primary', 'least-lagging', 'fail']).default('primary'),
  REPLICA_FALLBACK_MAX_LAG_BYTES: integer(0).default(64 * 1024 * 1024),
  /** A DNS name that resolves to every replica (e.g. db-replicas); replaces DB_REPLICA_HOSTS when set. */
  DB_REPLICAS_FROM_DNS: z.string().regex(/^[A-Za-z0-9.-]+$/).optional(),
  /** DNS servers for DB_REPLICAS_FROM_DNS; empty: the resolver's own (/etc/resolv.conf, e.g. the stack's DNS). */
  DB_DNS_SERVERS: z
    .string()
    .transform((v) => v.split(',').map((h) => h.trim()).filter(Boolean))
    .pipe(z.array(z.union([z.ipv4(), z.ipv6()])))
    .default([]),
  DB_REPLICA_DISCOVERY_INTERVAL_MS: integer(100).default(2000),

  CONSISTENCY_TOKENS: booleanFlag.default(true),
  CONSISTENCY_TOKEN_SECRET: z.string().min(16).default(DEV_SECRETS.CONSISTENCY_TOKEN_SECRET),
  CONSISTENCY_TOKEN_TTL_SECONDS: integer(1).default(60),
  CONSISTENCY_WAIT_MS: integer(0).default(150),

  /** Redis without Sentinel. Ignored when REDIS_SENTINELS is set: the Sentinels say where the master is. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://redis:6379'),
  /** Sentinels (`host` or `host:port`, port 26379 unless given) to ask for the Redis master; empty: REDIS_URL. */
  REDIS_SENTINELS: hostList.default([]),
  /** The name the Sentinels monitor the master under (`sentinel monitor <name> …`). */
  REDIS_SENTINEL_MASTER: z.string().regex(/^[A-Za-z0-9._-]+$/).default('redis-master'),
  /**
   * The Redis logical database (SELECT) for the cache and sticking; unset: REDIS_URL's path, else 0. Apps that share
   * a Redis but must not share entries (the bench's variants) each take their own.
   */
  REDIS_DB: integer(0, 15).optional(),
  REDIS_COMMAND_TIMEOUT_MS: integer(10).default(150),
  CACHE_TTL_SECONDS: integer(1).default(60),
  CACHE_LIST_TTL_SECONDS: integer(1).default(15),

  /** HMAC key (HS256) of the Conduit API's access tokens (`Authorization: Token <jwt>`), the same on every app server. */
  JWT_SECRET: z.string().min(32).default(DEV_SECRETS.JWT_SECRET),
  JWT_TTL_SECONDS: integer(60).default(7 * 24 * 3600),
});

export type AppConfigValues = z.output<typeof configSchema>;

export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Settings where an empty value means something ("no replicas", "no password"), not "unset". */
const EMPTY_ALLOWED = new Set(['DB_REPLICA_HOSTS', 'DB_ANALYTICS_HOSTS', 'DB_PASSWORD', 'DB_DNS_SERVERS', 'REDIS_SENTINELS']);

/** Parses the environment once; throws naming every bad variable. Empty strings count as "unset". */
export function parseConfig(env: NodeJS.ProcessEnv): AppConfigValues {
  const known = Object.fromEntries(
    Object.keys(configSchema.shape)
      .filter((key) => env[key] !== undefined && !(env[key] === '' && !EMPTY_ALLOWED.has(key)))
      .map((key) => [key, env[key]]),
  );
  const result = configSchema.safeParse(known);
  if (!result.success) {
    throw new InvalidConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message} (got ${JSON.stringify(known[String(issue.path[0])])})`),
    );
  }
  const devSecrets = result.data.NODE_ENV === 'production' ? devSecretsIn(result.data) : [];
  if (devSecrets.length) throw new InvalidConfigError(devSecrets.map((key) => `${key}: the dev default is public; set your own in production`));
  const shared = analyticsHostsInRotation(result.data);
  if (shared.length) throw new InvalidConfigError(shared.map((host) => `DB_ANALYTICS_HOSTS: ${host} is also DB_PRIMARY_HOST or one of DB_REPLICA_HOSTS; an analytics replica serves reports only`));
  if (result.data.DB_TOPOLOGY === 'galera' && result.data.DB_DIALECT !== 'mariadb') throw new InvalidConfigError(['DB_TOPOLOGY: galera needs DB_DIALECT=mariadb']);
  return result.data;
}

/** Analytics replicas also listed as the primary or a replica (by host and port): they would serve OLTP reads. */
function analyticsHostsInRotation(values: AppConfigValues): string[] {
  const endpoint = (host: string) => (host.includes(':') ? host : `${host}:${values.DB_PORT}`);
  const rotation = new Set([values.DB_PRIMARY_HOST, ...(values.DB_REPLICAS_FROM_DNS ? [] : values.DB_REPLICA_HOSTS)].map(endpoint));
  return values.DB_ANALYTICS_HOSTS.filter((host) => rotation.has(endpoint(host)));
}

/** Secrets and passwords still at their public default. */
function devSecretsIn(values: AppConfigValues): (keyof typeof DEV_SECRETS)[] {
  return (Object.keys(DEV_SECRETS) as (keyof typeof DEV_SECRETS)[]).filter((key) => values[key] === DEV_SECRETS[key]);
}

/** The injectable, typed view of the configuration (class token; the fields are AppConfigValues). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class AppConfig {
  static fromEnv(env: NodeJS.ProcessEnv): AppConfig {
    return Object.freeze(Object.assign(new AppConfig(), parseConfig(env)));
  }

  /** `X-DB-Node` is on unless NODE_ENV=production, where EXPOSE_DB_NODE can still turn it on. */
  get exposeDbNode(): boolean {
    return this.EXPOSE_DB_NODE ?? this.NODE_ENV !== 'production';
  }

  /** The topology page (it names every node and its lag) is on unless NODE_ENV=production, where STATUS_PAGE can still turn it on. */
  get statusPage(): boolean {
    return this.STATUS_PAGE ?? this.NODE_ENV !== 'production';
  }
}
// Declaration merging: an AppConfig instance carries every parsed setting.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface AppConfig extends AppConfigValues {}
