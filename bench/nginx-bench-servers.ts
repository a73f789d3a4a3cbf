import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonPid } from '../stack/native/daemons';
import { paths } from '../stack/native/paths';
import { waitFor } from '../stack/native/shell';
import { start, stop } from '../stack/native/stack';
import { service } from '../stack/topology';
import type { BenchServer } from './variants';

const CONF_FILE = join(paths.nginxExtraConfDir, 'bench.conf');
const APP_PORT = 3000;

/** The `name { … }` block starting at the first match of `opening` (braces nest: a server holds locations). */
function block(conf: string, opening: RegExp): string {
  const start = conf.search(opening);
  if (start < 0) throw new Error(`nginx/conf.d/api.conf has no ${opening.source} block`);
  let depth = 0;
  for (let i = conf.indexOf('{', start); i < conf.length; i++) {
    if (conf[i] === '{') depth++;
    if (conf[i] === '}' && --depth === 0) return conf.slice(start, i + 1);
  }
  throw new Error(`nginx/conf.d/api.conf: unbalanced braces after ${opening.source}`);
}

/**
 * One nginx server per bench server, on its own port: api.conf's upstream and server blocks with only the
 * port (the public one; not the operators'), the upstream name and the app port changed. Every variant sits behind the same proxy settings.
 */
export function benchServersConf(apiConf: string, servers: readonly Pick<BenchServer, 'name' | 'lbPort' | 'port'>[]): string {
  const upstream = block(apiConf, /^upstream app_servers\b/m);
  const server = block(apiConf, /^server\s*\{/m);
  const proxyPasses = server.match(/proxy_pass [^;]*;/g) ?? [];
  if (!/listen 80 default_server;/.test(server) || proxyPasses.length === 0 || proxyPasses.some((p) => p !== 'proxy_pass http://app_servers;')) {
    throw new Error('nginx/conf.d/api.conf: expected `listen 80 default_server;` and only `proxy_pass http://app_servers;`');
  }
  return servers
    .map(({ name, lbPort, port }) => {
      const upstreamName = `bench_${name.replace(/-/g, '_')}`;
      return [
        `# ${name}`,
        upstream.replace('upstream app_servers', `upstream ${upstreamName}`).replaceAll(`:${APP_PORT} `, `:${port} `),
        server
          .replace('listen 80 default_server;', `listen ${lbPort};`)
          // The operators' port stays the shipped server's.
          .replace(/\n\s*listen 9080;/, '')
          .replaceAll('proxy_pass http://app_servers;', `proxy_pass http://${upstreamName};`),
      ].join('\n');
    })
    .join('\n\n') + '\n';
}

/** The master re-reads its configuration and replaces its workers; it logs a bad one and keeps the old. */
function reloadNginx(): void {
  const pid = daemonPid('lb');
  if (pid === null) throw new Error('nginx (lb) is not running');
  process.kill(pid, 'SIGHUP');
}

/** Puts the bench servers behind the stack's nginx and waits until each port answers through it. */
export async function installBenchServers(servers: readonly Pick<BenchServer, 'name' | 'lbPort' | 'port'>[]): Promise<void> {
  // A stack started before nginx.conf included the extra directory needs its nginx restarted once.
  if (!readFileSync(join(paths.nginxPrefix, 'nginx.conf'), 'utf8').includes(paths.nginxExtraConfDir)) {
    await stop('lb');
    await start('lb', () => undefined);
  }
  mkdirSync(paths.nginxExtraConfDir, { recursive: true });
  writeFileSync(CONF_FILE, benchServersConf(readFileSync(paths.nginxSiteConf, 'utf8'), servers));
  reloadNginx();
  const lb = service('lb').address;
  const serves = async (lbPort: number) => {
    const response = await fetch(`http://${lb}:${lbPort}/health/ready`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  };
  await Promise.all(
    servers.map(({ name, lbPort }) => waitFor(`nginx to serve ${name} on port ${lbPort} (log: ${paths.log('lb')})`, () => serves(lbPort), { timeoutMs: 15_000, intervalMs: 200 })),
  );
}

export function removeBenchServers(): void {
  rmSync(CONF_FILE, { force: true });
  if (daemonPid('lb') !== null) reloadNginx();
}
