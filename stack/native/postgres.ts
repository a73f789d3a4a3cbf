import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { parseDocument } from 'yaml';
import { PATRONI_PORT, service, ServiceKind } from '../topology';
import { mkdirThroughMount, paths, PG_BIN, throughMount } from './paths';
import { run } from './shell';

/** Dev-only credentials, the same defaults as docker-compose.yml and stack/app.env. */
export const credentials = {
  app: { user: 'app', password: 'app-dev-password', database: 'app' },
  superuser: { user: 'postgres', password: 'postgres-dev-password' },
  replicator: { user: 'replicator', password: 'replicator-dev-password' },
};

export const PG_USER = 'postgres';

let ids: { uid: number; gid: number } | undefined;
function postgresIds(): { uid: number; gid: number } {
  ids ??= { uid: Number(run(['id', '-u', PG_USER])), gid: Number(run(['id', '-g', PG_USER])) };
  return ids;
}

export function ownedByPostgres(dir: string, mode: number): void {
  mkdirThroughMount(dirname(dir));
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = postgresIds();
  chownSync(dir, uid, gid);
  chmodSync(dir, mode);
}

export const isInitialised = (name: string) => existsSync(join(paths.data(name), 'PG_VERSION'));

/**
 * Synchronous mode (no acknowledged write lost on failover) for a new cluster: `SYNCHRONOUS_MODE=true`, the
 * same variable docker compose reads. On a running cluster: `npm run stack -- patronictl edit-config -s synchronous_mode=true --force`.
 */
const synchronousMode = () => process.env.SYNCHRONOUS_MODE === 'true';

/**
 * A node's recovery-conflict settings and tags (stack/patroni/patroni.yml, docs/analytics.md): the analytics
 * replica's from ANALYTICS_HOT_STANDBY_FEEDBACK and ANALYTICS_MAX_STANDBY_STREAMING_DELAY, the variables docker
 * compose reads, by default replay waiting for reports; every other node holds vacuum back for its short reads.
 */
export function recoveryConflictSettings(kind: ServiceKind, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (kind !== 'postgres-analytics') return { ANALYTICS_NODE: 'false', HOT_STANDBY_FEEDBACK: 'on', MAX_STANDBY_STREAMING_DELAY: '30s' };
  return {
    ANALYTICS_NODE: 'true',
    HOT_STANDBY_FEEDBACK: env.ANALYTICS_HOT_STANDBY_FEEDBACK || 'off',
    MAX_STANDBY_STREAMING_DELAY: env.ANALYTICS_MAX_STANDBY_STREAMING_DELAY || '-1',
  };
}

/**
 * Puts post-bootstrap.sh where Patroni can run it. A new copy replaces the old by rename, never by writing
 * into it: Patroni may be running it that moment (the leader bootstraps while the replicas' configs are
 * written), and a file open for writing cannot be executed (ETXTBSY failed the bootstrap).
 */
function installPostBootstrap(): void {
  const script = readFileSync(paths.postBootstrapSource);
  if (existsSync(paths.postBootstrap) && readFileSync(paths.postBootstrap).equals(script)) return;
  const next = `${paths.postBootstrap}.${process.pid}`;
  writeFileSync(next, script);
  chmodSync(next, 0o755);
  renameSync(next, paths.postBootstrap);
}

/**
 * The shared Patroni configuration (stack/patroni/patroni.yml, also used by docker compose) filled in for one
 * node, with every path as Patroni sees it through the mount of STACK_DIR. Tests add fast settings
 * (STACK_FAST=1: fsync off; the data is throwaway). Returns the file's path on this machine.
 */
export function writePatroniConfig(name: string): string {
  const file = paths.patroniConfig(name);
  mkdirThroughMount(dirname(file));
  installPostBootstrap();
  const values: Record<string, string> = {
    NAME: name,
    HOST: name,
    LISTEN: service(name).address,
    ETCD_HOSTS: `etcd:${service('etcd').port}`,
    DATA_DIR: throughMount(paths.data(name)),
    SOCKET_DIR: throughMount(paths.socketDir(name)),
    BIN_DIR: PG_BIN,
    PGPASS: throughMount(join(paths.socketDir(name), 'pgpass')),
    SUPERUSER_PASSWORD: credentials.superuser.password,
    REPLICATION_PASSWORD: credentials.replicator.password,
    SYNCHRONOUS_MODE: String(synchronousMode()),
    POST_BOOTSTRAP: throughMount(paths.postBootstrap),
    PGBACKREST_CONFIG: throughMount(paths.pgbackrestConfig),
    ...recoveryConflictSettings(service(name).kind),
  };
  const rendered = readFileSync(paths.patroniTemplate, 'utf8').replace(/\$\{([A-Z_]+)\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`patroni.yml: no value for \${${key}}`);
    return values[key];
  });
  const document = parseDocument(rendered);
  if (process.env.STACK_FAST === '1') {
    document.setIn(['bootstrap', 'dcs', 'postgresql', 'parameters', 'fsync'], 'off');
    document.setIn(['bootstrap', 'dcs', 'postgresql', 'parameters', 'full_page_writes'], 'off');
  }
  writeFileSync(file, document.toString());
  return file;
}

/** Directories Patroni needs, owned by postgres: an empty data directory (0700) and the socket directory. */
export function prepareNode(name: string): void {
  ownedByPostgres(paths.data(name), 0o700);
  ownedByPostgres(paths.socketDir(name), 0o755);
}

/**
 * Patroni 3.0.2 needs umask 0077, and must not inherit PGPASSWORD (it would override its replication password).
 * It runs with STACK_DIR mounted (startDaemon's `mountStackDir`), so it reads its config through the mount.
 */
export function patroniCommand(name: string): string[] {
  return ['sh', '-c', 'umask 0077 && exec patroni "$0"', throughMount(writePatroniConfig(name))];
}

export function patroniEnv(): NodeJS.ProcessEnv {
  const { app } = credentials;
  return {
    PATH: process.env.PATH,
    HOME: '/var/lib/postgresql',
    LANG: 'C.UTF-8',
    APP_DB_USER: app.user,
    APP_DB_PASSWORD: app.password,
    APP_DB_NAME: app.database,
  };
}

export interface PatroniState {
  state: string;
  role: string;
  timeline?: number;
}

/** What the node's Patroni says of it (GET /patroni), or null when Patroni does not answer. */
export async function patroniState(name: string): Promise<PatroniState | null> {
  try {
    const response = await fetch(`http://${service(name).address}:${PATRONI_PORT}/patroni`, { signal: AbortSignal.timeout(1000) });
    return (await response.json()) as PatroniState;
  } catch {
    return null;
  }
}

export const isLeaderRole = (role: string | undefined) => role === 'master' || role === 'primary';

/**
 * The node holds the cluster's leader key (Patroni's GET /leader answers 200). A new cluster's first node takes
 * the primary role as soon as initdb's server runs, but the key only once post-bootstrap.sh has created the
 * app's role and database.
 */
export async function holdsLeaderKey(name: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${service(name).address}:${PATRONI_PORT}/leader`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** A superuser connection over the node's own unix socket (trust), from this machine's namespace. */
export async function withSuperuser<T>(name: string, work: (client: Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const client = new Client({ host: paths.socketDir(name), user: PG_USER, database, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Healthy: Patroni runs PostgreSQL, and a replica's own WAL receiver streams (not just "accepts connections"). */
export async function isNodeHealthy(name: string): Promise<boolean> {
  const state = await patroniState(name);
  if (state?.state !== 'running') return false;
  if (isLeaderRole(state.role)) return true;
  return withSuperuser(name, async (db) => (await db.query('SELECT status FROM pg_stat_wal_receiver')).rows[0]?.status === 'streaming');
}
