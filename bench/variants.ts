import { join } from 'node:path';
import { daemonPid, startDaemon, stopDaemon } from '../stack/native/daemons';
import { paths, REPO_ROOT } from '../stack/native/paths';
import { credentials } from '../stack/native/postgres';
import { appEnv } from '../stack/native/services';
import { waitFor } from '../stack/native/shell';
import { service } from '../stack/topology';
import { CEILING_KEY_PREFIX } from './bench-data';

export type VariantName = 'app' | 'app-edge' | 'app-fixed' | 'app-typeorm' | 'pg-ceiling' | 'redis-ceiling';

/** What a scenario runs against: an HTTP server beside app-1 and one beside app-2, behind the stack's nginx. */
export interface Variant {
  name: VariantName;
  /** The nginx port in front of it. */
  lbPort: number;
  /** Its own HTTP server processes. */
  pids(): number[];
  /** Where its servers expose Prometheus metrics (the app's own variants only). */
  metricsUrls: string[];
}

/** A variant the bench starts: one server beside each app server, in its namespace, on its own port. */
export interface BenchServer extends Variant {
  port: number;
  command: string[];
  env(appServer: string): NodeJS.ProcessEnv;
}

const APP_SERVERS = ['app-1', 'app-2'] as const;
const daemonName = (variant: VariantName, appServer: string) => `bench-${variant}-${appServer.replace('app-', '')}`;
const runningPids = (names: string[]) => names.map(daemonPid).filter((pid) => pid !== null);
const baseline = (file: string) => [process.execPath, join(__dirname, 'baselines', file)];

const appServersPids = () => runningPids([...APP_SERVERS]);
const appServersMetrics = APP_SERVERS.map((appServer) => `http://${service(appServer).address}:${service(appServer).port ?? 3000}/metrics`);

/**
 * The app as the stack runs it: app-1 and app-2, replication aware, behind a copy of nginx/conf.d/api.conf on a
 * port of its own, like the bench servers. The edge cache stores for the public port (80) only, so every request
 * reaches an app: what the app costs, not what nginx saves it.
 */
export const APP_BEHIND_NGINX = { name: 'app', lbPort: 8080, port: 3000 } as const;
const app: Variant = { ...APP_BEHIND_NGINX, pids: appServersPids, metricsUrls: appServersMetrics };

/** The same app-1 and app-2 behind the shipped nginx on the public port, its edge cache in front (docs/edge-cache.md). */
const appEdge: Variant = { name: 'app-edge', lbPort: 80, pids: appServersPids, metricsUrls: appServersMetrics };

function benchServer({ servesMetrics, ...server }: Omit<BenchServer, 'pids' | 'metricsUrls'> & { servesMetrics?: boolean }): BenchServer {
  const metricsUrls = servesMetrics ? APP_SERVERS.map((appServer) => `http://${service(appServer).address}:${server.port}/metrics`) : [];
  return { ...server, metricsUrls, pids: () => runningPids(APP_SERVERS.map((appServer) => daemonName(server.name, appServer))) };
}

export const BENCH_SERVERS: readonly BenchServer[] = [
  /**
   * The same app with REPLICA_ROUTING=fixed: every read on the first replica, no monitor, no tokens. Each peer has
   * a Redis database of its own: their entries carry no positions, which the app treats as absent, while they
   * serve the app's; sharing one, the app missed what a peer's run had just filled (mixed: 64 % hits against 85 %).
   */
  benchServer({
    name: 'app-fixed',
    lbPort: 8081,
    port: 3002,
    servesMetrics: true,
    command: [process.execPath, paths.appMain],
    env: (appServer) => ({ ...appEnv(`${appServer}-fixed`), PORT: '3002', REPLICA_ROUTING: 'fixed', REDIS_DB: '1' }),
  }),
  /**
   * The peer: the same app with REPLICA_ROUTING=typeorm, on TypeORM's own `replication` option (a random
   * replica per read, no tokens, no retry elsewhere). It cannot start while a replica is down; the bench
   * starts it on a whole stack.
   */
  benchServer({
    name: 'app-typeorm',
    lbPort: 8084,
    port: 3003,
    servesMetrics: true,
    command: [process.execPath, paths.appMain],
    env: (appServer) => ({ ...appEnv(`${appServer}-typeorm`), PORT: '3003', REPLICA_ROUTING: 'typeorm', REDIS_DB: '2' }),
  }),
  benchServer({
    name: 'pg-ceiling',
    lbPort: 8082,
    port: 3100,
    command: baseline('pg-read-server.mts'),
    env: () => ({
      PATH: process.env.PATH,
      PORT: '3100',
      PGHOST: service('db-replica-1').address,
      PGUSER: credentials.app.user,
      PGPASSWORD: credentials.app.password,
      PGDATABASE: credentials.app.database,
    }),
  }),
  benchServer({
    name: 'redis-ceiling',
    lbPort: 8083,
    port: 3101,
    command: baseline('redis-read-server.mts'),
    env: () => ({
      PATH: process.env.PATH,
      PORT: '3101',
      REDIS_URL: `redis://${service('redis').address}:${service('redis').port}`,
      KEY_PREFIX: CEILING_KEY_PREFIX,
    }),
  }),
];

export const VARIANTS: Record<VariantName, Variant> = Object.fromEntries([app, appEdge, ...BENCH_SERVERS].map((v) => [v.name, v])) as Record<VariantName, Variant>;

async function answers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await response.arrayBuffer();
  return response.ok;
}

/** Starts these bench servers afresh (stopping any a crashed run left) and waits until each answers. */
export async function startBenchServers(servers: readonly BenchServer[] = BENCH_SERVERS): Promise<void> {
  await stopBenchServers(servers);
  for (const server of servers) {
    for (const appServer of APP_SERVERS) {
      startDaemon(daemonName(server.name, appServer), server.command, { besideService: appServer, env: server.env(appServer), cwd: REPO_ROOT });
    }
  }
  await Promise.all(
    servers.flatMap((server) =>
      APP_SERVERS.map((appServer) =>
        waitFor(
          `${daemonName(server.name, appServer)} to answer (log: ${paths.log(daemonName(server.name, appServer))})`,
          () => answers(`http://${service(appServer).address}:${server.port}/health/ready`),
          { timeoutMs: 60_000, intervalMs: 250 },
        ),
      ),
    ),
  );
}

export async function stopBenchServers(servers: readonly BenchServer[] = BENCH_SERVERS): Promise<void> {
  await Promise.all(servers.flatMap((server) => APP_SERVERS.map((appServer) => stopDaemon(daemonName(server.name, appServer)))));
}
