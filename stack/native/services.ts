import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import Redis from 'ioredis';
import { PUBLIC_HOSTNAME, service, ServiceSpec } from '../topology';
import { mkdirThroughMount, paths, PG_BIN, throughMount } from './paths';
import { isRestoreComplete, restoredPostgresCommand } from './backups';
import { isNodeHealthy, patroniCommand, patroniEnv } from './postgres';

/** How the native stack runs one kind of service: its command line, its user, and what "healthy" means. */
export interface ServiceRunner {
  command(spec: ServiceSpec): string[];
  user?: string;
  /** It (or a process it hands work to) reads or writes STACK_DIR as a user other than root: see startDaemon. */
  mountStackDir?: boolean;
  env?(spec: ServiceSpec): NodeJS.ProcessEnv;
  healthy(spec: ServiceSpec): Promise<boolean>;
  /** PostgreSQL: SIGINT is "fast shutdown"; SIGTERM would wait for every client to leave. */
  stopSignal?: NodeJS.Signals;
}

/** The app settings docker-compose.yml gives app-1/app-2/migrate, from the same file. */
export function appEnv(instance: string): NodeJS.ProcessEnv {
  const shared = parseEnv(readFileSync(paths.appEnv, 'utf8'));
  return { PATH: process.env.PATH, ...shared, APP_INSTANCE: instance };
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
  // Patroni runs each PostgreSQL node; SIGTERM makes it stop PostgreSQL and hand the leader key over.
  'postgres-primary': {
    command: (spec) => patroniCommand(spec.name),
    user: 'postgres',
    mountStackDir: true,
    env: () => patroniEnv(),
    healthy: (spec) => isNodeHealthy(spec.name),
  },
  'postgres-replica': {
    command: (spec) => patroniCommand(spec.name),
    user: 'postgres',
    mountStackDir: true,
    env: () => patroniEnv(),
    healthy: (spec) => isNodeHealthy(spec.name),
  },
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
  redis: {
    command: (spec) => [
      'redis-server',
      '--bind', spec.address,
      '--port', String(spec.port),
      '--save', '',
      '--appendonly', 'no',
      '--protected-mode', 'no',
      '--dir', paths.data(spec.name),
    ],
    healthy: async (spec) => {
      const redis = new Redis({ host: spec.address, port: spec.port!, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => null });
      redis.on('error', () => undefined); // the failed connect() below reports it
      try {
        await redis.connect();
        return (await redis.ping()) === 'PONG';
      } finally {
        redis.disconnect();
      }
    },
  },
  app: {
    command: () => [process.execPath, paths.appMain],
    env: (spec) => appEnv(spec.name),
    healthy: (spec) => httpOk(`http://${spec.address}:${spec.port}/health/ready`),
  },
  lb: {
    command: () => ['nginx', '-p', paths.nginxPrefix, '-c', writeNginxConf()],
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
