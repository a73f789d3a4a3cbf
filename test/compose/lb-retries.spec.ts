import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './compose-file';
import { freePort } from '../support/free-port';

// Which requests nginx sends to a second app server after the first failed mid-request. api.conf runs on the
// machine's own nginx (the native stack's 1.22; compose's lb differs only in its upstream block), in front of two
// stand-in app servers, the first of which to get a request drops the connection after reading it: what an
// app server that crashed after its COMMIT looks like to nginx. A DELETE sent again would answer 404 for a delete
// that happened.

const NGINX = '/usr/sbin/nginx';
const describeWithNginx = existsSync(NGINX) ? describe : describe.skip;

interface StandIn {
  server: Server;
  port: number;
  seen: string[];
}

async function standIn(name: string, received: string[]): Promise<StandIn> {
  const seen: string[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      seen.push(`${request.method} ${request.url}`);
      received.push(`${name} ${request.method}`);
      // The first request of the test is dropped after it was read: nginx sees "upstream prematurely closed".
      if (received.length === 1) return request.socket.destroy();
      response.writeHead(request.method === 'DELETE' ? 204 : 200, { 'x-app-instance': name }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

/** api.conf with the stand-ins as app-1 and app-2 and its listeners on free loopback ports. */
function siteFor(apps: StandIn[], publicPort: number, operatorsPort: number): string {
  const site = readFileSync(join(ROOT, 'nginx', 'conf.d', 'api.conf'), 'utf8');
  return site
    .replace(/server app-1:3000 /, `server 127.0.0.1:${apps[0].port} `)
    .replace(/server app-2:3000 /, `server 127.0.0.1:${apps[1].port} `)
    .replace(/listen 80 default_server;/, `listen 127.0.0.1:${publicPort} default_server;`)
    .replace(/listen 9080;/, `listen 127.0.0.1:${operatorsPort};`)
    .replace('access_log /dev/stdout api_json;', 'access_log off;');
}

describeWithNginx('api.conf’s retries, on a real nginx', () => {
  let dir: string;
  let nginx: ChildProcess;
  let apps: StandIn[];
  let received: string[];
  let base: string;

  beforeEach(async () => {
    received = [];
    apps = [await standIn('app-1', received), await standIn('app-2', received)];
    const [publicPort, operatorsPort] = [await freePort(), await freePort()];
    dir = mkdtempSync(join(tmpdir(), 'lb-retries-'));
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'site.conf'), siteFor(apps, publicPort, operatorsPort));
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents { worker_connections 64; }\n` +
        `http {\n  client_body_temp_path ${dir}/client; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;\n` +
        `  include ${dir}/site.conf;\n}\n`,
    );
    const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(check.stderr);
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
    base = `http://127.0.0.1:${publicPort}`;
    for (let i = 0; i < 50; i++) {
      if (await fetch(`${base}/nginx-health`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterEach(async () => {
    const exited = new Promise((r) => nginx.once('exit', r));
    nginx.kill('SIGQUIT');
    await exited;
    await Promise.all(apps.map(({ server }) => new Promise((r) => server.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('should send a GET to the other app server when the first drops it', async () => {
    const response = await fetch(`${base}/api/articles`);

    expect(response.status).toBe(200);
    expect(received).toEqual(['app-1 GET', 'app-2 GET']);
  });

  it.each(['DELETE', 'PUT', 'POST', 'PATCH'])('should never send a %s twice: the client gets a 503 problem+json and decides', async (method) => {
    const response = await fetch(`${base}/api/articles/some-slug`, { method, headers: { 'content-type': 'application/json' }, body: method === 'DELETE' ? undefined : '{}' });

    expect(received).toEqual([`app-1 ${method}`]);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });
});
