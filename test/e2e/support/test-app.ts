import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { service } from '../../../stack/topology';
import { REPO_ROOT } from '../../../stack/native/paths';
import { appEnv } from '../../../stack/native/services';
import { request, Response } from './client';
import { freePort } from '../../support/free-port';

/**
 * An extra app server run by a test in this machine's namespace, with the stack's settings but IP
 * literals for the services (this machine's resolver must never see a stack hostname).
 */
export class TestApp {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
  }

  static async start(overrides: NodeJS.ProcessEnv = {}, { waitReady = true } = {}): Promise<TestApp> {
    const port = await freePort();
    const env = {
      ...appEnv('test-app'),
      DB_PRIMARY_HOST: service('db-primary').address,
      DB_REPLICA_HOSTS: [service('db-replica-1').address, service('db-replica-2').address].join(','),
      DB_REPLICAS_FROM_DNS: '',
      DB_ANALYTICS_HOSTS: service('db-analytics').address,
      REDIS_URL: `redis://${service('redis').address}:6379`,
      // This machine cannot resolve the names the Sentinels hand out: redis directly, the master outside the failover test.
      REDIS_SENTINELS: '',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE_MS: '500',
      ...overrides,
    };
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const app = new TestApp(child, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`test app exited (${child.exitCode}):\n${app.output}`);
      const ready = await app.get(waitReady ? '/health/ready' : '/health/live').catch(() => undefined);
      if (ready?.status === 200) return app;
      if (Date.now() > deadline) throw new Error(`test app not ready:\n${app.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get(path: string, headers?: Record<string, string>): Promise<Response> {
    return request('GET', path, { baseUrl: this.baseUrl, headers });
  }

  send(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response> {
    return request(method, path, { baseUrl: this.baseUrl, body, headers });
  }

  get logs(): string {
    return this.output;
  }

  /** SIGTERM, like an orchestrator; resolves when the process has exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const { exitCode: code, signalCode: signal } = this.child;
    if (code !== null || signal !== null) return Promise.resolve({ code, signal });
    return new Promise((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
  }
}
