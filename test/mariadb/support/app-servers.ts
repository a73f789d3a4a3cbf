import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../stack/native/paths';
import { runAsync } from '../../../stack/native/shell';
import { freePort } from '../../support/free-port';
import { ConduitClient } from '../../e2e/support/conduit';

/**
 * The processes a MariaDB spec puts in front of the harness's servers, as the stack would: app servers
 * (`dist/main.js`), the Redis they cache in, and nginx spreading requests over them. All listen on 127.0.0.1
 * with IP literals for the MariaDB nodes: this machine's resolver never sees a name.
 */
export class Process {
  private output = '';

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    child.stderr?.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  get logs(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exit = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** Waits until `ready` answers true; stops the process when it exits first or 20 s pass. */
async function untilReady(server: Process, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (await ready().catch(() => false)) return;
    if (server.exited || Date.now() > deadline) {
      await server.stop();
      throw new Error(`${server.name} ${server.exited ? 'exited' : 'not ready'}:\n${server.logs}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Served extends Process {
  readonly url: string;
}

/** A throwaway Redis: no persistence, on a free port. */
export async function startRedis(): Promise<Served> {
  const port = await freePort();
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const redis = Object.assign(new Process('redis', child), { url: `redis://127.0.0.1:${port}` });
  await untilReady(redis, async () => (await runAsync(['redis-cli', '-p', String(port), 'PING'])).trim() === 'PONG');
  return redis;
}

/** An app server with `env` over the development defaults; ready once /health/ready answers 200. */
export async function startApp(name: string, env: NodeJS.ProcessEnv): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'main.js')], {
    env: { PATH: process.env.PATH, NODE_ENV: 'development', APP_INSTANCE: name, PORT: String(port), LOG_LEVEL: 'warn', EXPOSE_DB_NODE: 'true', SHUTDOWN_GRACE_MS: '200', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const app = Object.assign(new Process(name, child), { url: `http://127.0.0.1:${port}` });
  await untilReady(app, async () => (await fetch(`${app.url}/health/ready`, { signal: AbortSignal.timeout(1000) })).status === 200);
  return app;
}

/**
 * nginx in front of `apps`, round robin, retrying a request that found an app down on the next one (GET and
 * HEAD only, as the stack's does). A minimal configuration of its own: the stack's nginx/conf.d/api.conf names
 * the stack's services, which these specs do not start.
 */
export async function startNginx(apps: readonly Served[]): Promise<Served> {
  const port = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), 'nginx-mariadb-'));
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
user root;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  upstream apps {
${apps.map((app) => `    server ${new URL(app.url).host} max_fails=1 fail_timeout=2s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://apps;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_next_upstream error timeout http_502 http_503;
    }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const nginx = Object.assign(new Process('nginx', child), { url: `http://127.0.0.1:${port}` });
  const stop = nginx.stop.bind(nginx);
  nginx.stop = async () => {
    await stop();
    rmSync(prefix, { recursive: true, force: true });
  };
  await untilReady(nginx, async () => (await fetch(`${nginx.url}/health/live`, { signal: AbortSignal.timeout(1000) })).status === 200);
  return nginx;
}

export interface ReadBack {
  stale: number;
  /** How many reads each value of the response header `tally` had ('cache' when the header was missing). */
  tally: Record<string, number>;
}

/**
 * `pairs` write→read pairs by one author: an update of one article through one app server, then a read of it
 * through the other with the update's consistency token, the two servers swapping roles at each pair. A read
 * that does not show its pair's update is stale.
 */
export async function readBackAcrossAppServers(apps: readonly Served[], { pairs, tally }: { pairs: number; tally: 'x-db-node' | 'x-db-route' }): Promise<ReadBack> {
  const author = await ConduitClient.registered({}, { baseUrl: apps[0].url });
  const { slug } = await author.publish();
  const result: ReadBack = { stale: 0, tally: {} };
  for (let i = 0; i < pairs; i++) {
    const [writer, reader] = i % 2 === 0 ? [apps[0], apps[1]] : [apps[1], apps[0]];
    const body = `version ${i}`;
    const written = await author.at(writer.url).send('PUT', `/api/articles/${slug}`, { article: { body } });
    if (written.status !== 200) throw new Error(`the update of pair ${i} answered ${written.status}: ${written.body}`);
    author.consistencyToken = written.headers['x-consistency-token'] as string;
    const read = await author.at(reader.url).send('GET', `/api/articles/${slug}`);
    if (read.json().article?.body !== body) result.stale++;
    const value = String(read.headers[tally] ?? 'cache');
    result.tally[value] = (result.tally[value] ?? 0) + 1;
  }
  return result;
}
