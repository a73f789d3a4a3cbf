import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import Redis from 'ioredis';
import { PUBLIC_HOSTNAME, REDIS_MASTER_NAME, service, SERVICES, ServiceSpec } from '../topology';
import { mkdirThroughMount, paths, PG_BIN, throughMount } from './paths';
import { isRestoreComplete, restoredPostgresCommand } from './backups';
import { isNodeHealthy, patroniCommand, patroniEnv } from './postgres';
import { galeraHostsOf } from './galera-stack';
import { stackDialect, stackTopology } from './stack-state';

/** How the native stack runs one kind of service: its command line, its user, and what "healthy" means. */
export interface ServiceRunner {
  command(spec: ServiceSpec): string[] | Promise<string[]>;
  user?: string;
  /** It (or a process it hands work to) reads or writes STACK_DIR as a user other than root: see startDaemon. */
  mountStackDir?: boolean;
  env?(spec: ServiceSpec): NodeJS.ProcessEnv;
  healthy(spec: ServiceSpec): Promise<boolean>;
  /** PostgreSQL: SIGINT is "fast shutdown"; SIGTERM would wait for every client to leave. */
  stopSignal?: NodeJS.Signals;
}

/**
 * The app settings docker-compose.yml gives app-1/app-2/migrate, from the same file; on the MariaDB stack with
 * stack/app.mariadb.env's over them (the dialect, its port, no Patroni, no analytics replica), and on Galera
 * stack/app.galera.env's over those, with each app server's own order of the members (galeraHostsOf).
 */
export function appEnv(instance: string): NodeJS.ProcessEnv {
  const shared = parseEnv(readFileSync(paths.appEnv, 'utf8'));
  const dialect = stackDialect() === 'mariadb' ? parseEnv(readFileSync(paths.appEnvMariaDb, 'utf8')) : {};
  const topology = stackTopology() === 'galera' ? { ...parseEnv(readFileSync(paths.appEnvGalera, 'utf8')), ...galeraHostsOf(instance) } : {};
  return { PATH: process.env.PATH, ...shared, ...dialect, ...topology, APP_INSTANCE: instance };
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await response.arrayBuffer();
  return response.ok;
}

export function stackResolver(): Resolver {
  const resolver = new Resolver({ timeout: 500, tries: 2 });
  resolver.setServers([service('dns').address]);
  return resolver;
}

function writeNginxConf(): string {
  const prefix = paths.nginxPrefix;
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  mkdirThroughMount(join(prefix, 'tmp'));
  // The workers (nobody) write large bodies and responses to the temp paths: through the mount of STACK_DIR.
  const tmp = throughMount(join(prefix, 'tmp'));
  // A new nginx starts with an empty edge cache, as compose's tmpfs does (nginx would load what is on disk).
  rmSync(paths.nginxEdgeCache, { recursive: true, force: true });
  // The official image's /etc/nginx/nginx.conf, pointed at private paths; the site is the compose file's.
  const conf = `daemon off;
worker_processes auto;
pid ${prefix}/nginx.pid;
error_log /dev/stderr notice;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path ${tmp}/client;
    proxy_temp_path ${tmp}/proxy;
    fastcgi_temp_path ${tmp}/fastcgi;
    uwsgi_temp_path ${tmp}/uwsgi;
    scgi_temp_path ${tmp}/scgi;
    sendfile on;
    keepalive_timeout 65;
    include ${paths.nginxSiteConf};
    include ${paths.nginxExtraConfDir}/*.conf;
}
`;
  const file = join(prefix, 'nginx.conf');
  writeFileSync(file, conf);
  return file;
}

/** One command to a Redis server or Sentinel of the stack, on a connection of its own. */
export async function redisCommand(spec: ServiceSpec, [command, ...args]: string[]): Promise<unknown> {
  const redis = new Redis({ host: spec.address, port: spec.port!, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => null });
  redis.on('error', () => undefined); // the failed connect() below reports it
  try {
    await redis.connect();
    return await redis.call(command, ...args);
  } finally {
    redis.disconnect();
  }
}

/** The Redis node that is the master now, as the first Sentinel that answers says; undefined while none does. */
export async function redisMaster(): Promise<string | undefined> {
  for (const sentinel of SERVICES.filter((s) => s.kind === 'redis-sentinel')) {
    const reply = await redisCommand(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', REDIS_MASTER_NAME]).catch(() => undefined);
    if (Array.isArray(reply)) return String(reply[0]); // announced by name (stack/redis/sentinel.conf)
  }
  return undefined;
}

/**
 * A Redis node. With no Sentinel up (the stack starting) `redis` starts as the master and `redis-replica` as its
 * replica; otherwise a node starts as the replica of the master the Sentinels name, unless that is itself (a
 * restart they have not yet called a failure). So a master that comes back after a failover rejoins as a
 * replica at once, as Patroni brings back an old primary, rather than as an empty second master until the
 * Sentinels convert it (some 10 s). Each node announces its name, which the Sentinels hand out
 * (stack/redis/sentinel.conf). Healthy: the master the Sentinels name (any master while none answers), or a
 * replica whose link to its master is up.
 */
/** A PostgreSQL node: Patroni runs it; SIGTERM makes it stop PostgreSQL and hand the leader key over. */
function patroniNode(): ServiceRunner {
  return {
    command: (spec) => patroniCommand(spec.name),
    user: 'postgres',
    mountStackDir: true,
    env: () => patroniEnv(),
    healthy: (spec) => isNodeHealthy(spec.name),
  };
}

function redisNode(): ServiceRunner {
  return {
    command: async (spec) => {
      const master = (await redisMaster()) ?? 'redis';
      return [
        'redis-server',
        '--bind', spec.address,
        '--port', String(spec.port),
        '--save', '',
        '--appendonly', 'no',
        '--protected-mode', 'no',
        '--dir', paths.data(spec.name),
        '--replica-announce-ip', spec.name,
        // A replica (re)syncs at once: the master would otherwise wait 5 s for others to share the transfer.
        '--repl-diskless-sync-delay', '0',
        ...(master === spec.name ? [] : ['--replicaof', master, String(service(master).port)]),
      ];
    },
    healthy: async (spec) => {
      const info = String(await redisCommand(spec, ['INFO', 'replication']));
      if (/^master_link_status:up\r?$/m.test(info)) return true;
      return /^role:master\r?$/m.test(info) && ((await redisMaster()) ?? spec.name) === spec.name;
    },
  };
}

export const sentinelConfOf = (spec: ServiceSpec): string => join(paths.data(spec.name), 'sentinel.conf');

/** The Sentinel's own copy of stack/redis/sentinel.conf, made on its first start only: Sentinel keeps its state there. */
function writeSentinelConf(spec: ServiceSpec): string {
  const file = sentinelConfOf(spec);
  if (!existsSync(file)) writeFileSync(file, readFileSync(paths.sentinelTemplate, 'utf8').replaceAll('${NAME}', spec.name));
  return file;
}

export const runners: Record<string, ServiceRunner> = {
  dns: {
    command: (spec) => [
      'dnsmasq',
      '--keep-in-foreground',
      `--conf-file=${paths.dnsmasqConf}`,
      `--addn-hosts=${paths.dnsHosts}`,
      `--listen-address=${spec.address}`,
      '--user=root',
    ],
    healthy: async () => (await stackResolver().resolve4(PUBLIC_HOSTNAME)).includes(service('lb').address),
  },
  etcd: {
    command: (spec) => [
      'etcd',
      '--name', spec.name,
      '--data-dir', paths.data(spec.name),
      '--listen-client-urls', `http://${spec.address}:${spec.port}`,
      '--advertise-client-urls', `http://${spec.name}:${spec.port}`,
      '--listen-peer-urls', `http://${spec.address}:2380`,
      '--initial-advertise-peer-urls', `http://${spec.address}:2380`,
      '--initial-cluster', `${spec.name}=http://${spec.address}:2380`,
    ],
    healthy: async (spec) => {
      const response = await fetch(`http://${spec.address}:${spec.port}/health`, { signal: AbortSignal.timeout(1000) });
      return ((await response.json()) as { health?: string }).health === 'true';
    },
  },
  'postgres-primary': patroniNode(),
  'postgres-replica': patroniNode(),
  'postgres-analytics': patroniNode(),
  // PostgreSQL alone on data restored to a point in time (`npm run stack -- restore --to <time>`): no Patroni.
  // Healthy once recovery reached the target and the server promoted itself.
  'restored-postgres': {
    command: () => restoredPostgresCommand(PG_BIN),
    user: 'postgres',
    mountStackDir: true,
    // restore_command runs pgBackRest's archive-get.
    env: () => ({ PATH: process.env.PATH, LANG: 'C.UTF-8' }),
    healthy: () => isRestoreComplete(),
    stopSignal: 'SIGINT',
  },
  redis: redisNode(),
  'redis-replica': redisNode(),
  // Debian's redis-server runs Sentinel with --sentinel, from a config file it can rewrite (writeSentinelConf).
  'redis-sentinel': {
    command: (spec) => ['redis-server', writeSentinelConf(spec), '--sentinel', '--bind', spec.address],
    healthy: async (spec) => /^OK\b/.test(String(await redisCommand(spec, ['SENTINEL', 'CKQUORUM', REDIS_MASTER_NAME]))),
  },
  app: {
    command: () => [process.execPath, paths.appMain],
    env: (spec) => appEnv(spec.name),
    healthy: (spec) => httpOk(`http://${spec.address}:${spec.port}/health/ready`),
  },
  lb: {
    // The prefix through the mount: api.conf's edge cache directory is relative to it, and the workers write there.
    command: () => ['nginx', '-p', throughMount(paths.nginxPrefix), '-c', writeNginxConf()],
    mountStackDir: true,
    healthy: (spec) => httpOk(`http://${spec.address}:${spec.port}/health/ready`),
  },
  // Debian's prometheus (2.42) with the compose profile's config; app-1/app-2 resolve through the stack's DNS.
  prometheus: {
    command: (spec) => [
      'prometheus',
      `--config.file=${paths.prometheusConfig}`,
      `--storage.tsdb.path=${paths.data(spec.name)}`,
      `--web.listen-address=${spec.address}:${spec.port}`,
    ],
    healthy: (spec) => httpOk(`http://${spec.address}:${spec.port}/-/ready`),
  },
};
