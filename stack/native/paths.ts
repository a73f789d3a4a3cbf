import { join, resolve } from 'node:path';
import { STACK_INDEX } from '../topology';

export const REPO_ROOT = resolve(__dirname, '..', '..');
/** Everything the native stack writes lives here (git-ignored): data, logs, pids, endpoints.json. */
export const STACK_DIR = resolve(process.env.STACK_DIR ?? join(REPO_ROOT, STACK_INDEX === 0 ? '.stack' : `.stack-${STACK_INDEX}`));

export const paths = {
  endpoints: join(STACK_DIR, 'endpoints.json'),
  log: (service: string) => join(STACK_DIR, 'logs', `${service}.log`),
  pid: (service: string) => join(STACK_DIR, 'pids', `${service}.pid`),
  data: (service: string) => join(STACK_DIR, 'data', service),
  /** Each PostgreSQL gets its own socket directory: the machine's own server owns the default one. */
  socketDir: (service: string) => join(STACK_DIR, 'run', service),
  dnsHosts: join(STACK_DIR, 'dns', 'hosts'),
  patroniConfig: (service: string) => join(STACK_DIR, 'patroni', `${service}.yml`),
  nginxPrefix: join(STACK_DIR, 'lb'),
  /** Extra nginx servers, included when present: the benchmark's baselines (bench/). Empty otherwise. */
  nginxExtraConfDir: join(STACK_DIR, 'lb', 'conf.d'),
  appEnv: join(REPO_ROOT, 'stack', 'app.env'),
  dnsmasqConf: join(REPO_ROOT, 'stack', 'native', 'dnsmasq.conf'),
  nginxSiteConf: join(REPO_ROOT, 'nginx', 'conf.d', 'api.conf'),
  prometheusConfig: join(REPO_ROOT, 'observability', 'prometheus.yml'),
  appMain: join(REPO_ROOT, 'dist', 'main.js'),
  migrateMain: join(REPO_ROOT, 'dist', 'database', 'migrate.js'),
  seedMain: join(REPO_ROOT, 'dist', 'seed.js'),
};

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
