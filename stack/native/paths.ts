import { chmodSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { STACK_INDEX } from '../topology';

export const REPO_ROOT = resolve(__dirname, '..', '..');
/** Everything the native stack writes lives here (git-ignored): data, logs, pids, endpoints.json. */
export const STACK_DIR = resolve(process.env.STACK_DIR ?? join(REPO_ROOT, STACK_INDEX === 0 ? '.stack' : `.stack-${STACK_INDEX}`));

/** What the native stack keeps outside every checkout: which checkout holds each stack index, and STACK_DIR_MOUNT. */
export const MACHINE_DIR = '/run/nest-replica-starter';

/**
 * Where the servers that do not run as root (Patroni and PostgreSQL as `postgres`, nginx's workers as `nobody`)
 * find STACK_DIR. A checkout may lie under a directory only root can enter (/root is 0700 on Debian, so is a
 * `mktemp -d` folder), and from there they could not reach STACK_DIR by its own path: Patroni read an empty
 * config. Each of them runs in a mount namespace of its own with STACK_DIR bound here (startDaemon's
 * `mountStackDir`), so the data still lives, and is deleted, with the checkout. Issue 15.
 */
export const STACK_DIR_MOUNT = join(MACHINE_DIR, 'stack');

/** A path under STACK_DIR as a server started with `mountStackDir` sees it. */
export function throughMount(path: string): string {
  const inside = relative(STACK_DIR, path);
  if (inside.startsWith('..') || isAbsolute(inside)) throw new Error(`${path} is not under ${STACK_DIR}`);
  return join(STACK_DIR_MOUNT, inside);
}

/**
 * Creates a directory under STACK_DIR that the servers behind the mount can enter: it and every directory
 * above it up to STACK_DIR are 0755, whatever the umask (root's may be 0077).
 */
export function mkdirThroughMount(dir: string): void {
  throughMount(dir); // refuses a directory outside STACK_DIR
  mkdirSync(dir, { recursive: true });
  for (let d = dir; ; d = resolve(d, '..')) {
    chmodSync(d, 0o755);
    if (d === STACK_DIR) return;
  }
}

export const paths = {
  endpoints: join(STACK_DIR, 'endpoints.json'),
  /** What the stack is (its dialect and topology, on MariaDB's primary and replicas its primary now), recorded by `up` for the other verbs: stack-state.ts. */
  stackState: join(STACK_DIR, 'stack-state.json'),
  log: (service: string) => join(STACK_DIR, 'logs', `${service}.log`),
  pid: (service: string) => join(STACK_DIR, 'pids', `${service}.pid`),
  data: (service: string) => join(STACK_DIR, 'data', service),
  /** Each PostgreSQL gets its own socket directory: the machine's own server owns the default one. */
  socketDir: (service: string) => join(STACK_DIR, 'run', service),
  dnsHosts: join(STACK_DIR, 'dns', 'hosts'),
  /** pgBackRest (docs/backups.md): its one configuration, its repository (the `backup` service's data), its logs and locks. */
  pgbackrestConfig: join(STACK_DIR, 'pgbackrest', 'pgbackrest.conf'),
  backupRepository: join(STACK_DIR, 'data', 'backup'),
  pgbackrestLogs: join(STACK_DIR, 'logs', 'pgbackrest'),
  pgbackrestLocks: join(STACK_DIR, 'run', 'pgbackrest'),
  patroniConfig: (service: string) => join(STACK_DIR, 'patroni', `${service}.yml`),
  /** Patroni runs it as postgres, so it is copied beside the rendered configs, where the mount shows it. */
  postBootstrap: join(STACK_DIR, 'patroni', 'post-bootstrap.sh'),
  nginxPrefix: join(STACK_DIR, 'lb'),
  /** api.conf's proxy_cache_path, `edge-cache`, relative to nginx's prefix. */
  nginxEdgeCache: join(STACK_DIR, 'lb', 'edge-cache'),
  /** Extra nginx servers, included when present: the benchmark's baselines (bench/). Empty otherwise. */
  nginxExtraConfDir: join(STACK_DIR, 'lb', 'conf.d'),
  appEnv: join(REPO_ROOT, 'stack', 'app.env'),
  appEnvMariaDb: join(REPO_ROOT, 'stack', 'app.mariadb.env'),
  appEnvGalera: join(REPO_ROOT, 'stack', 'app.galera.env'),
  dnsmasqConf: join(REPO_ROOT, 'stack', 'native', 'dnsmasq.conf'),
  sentinelTemplate: join(REPO_ROOT, 'stack', 'redis', 'sentinel.conf'),
  nginxSiteConf: join(REPO_ROOT, 'nginx', 'conf.d', 'api.conf'),
  prometheusConfig: join(REPO_ROOT, 'observability', 'prometheus.yml'),
  postBootstrapSource: join(REPO_ROOT, 'stack', 'patroni', 'post-bootstrap.sh'),
  patroniTemplate: join(REPO_ROOT, 'stack', 'patroni', 'patroni.yml'),
  appMain: join(REPO_ROOT, 'dist', 'main.js'),
  migrateMain: join(REPO_ROOT, 'dist', 'database', 'migrate.js'),
  seedMain: join(REPO_ROOT, 'dist', 'seed.js'),
};

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
