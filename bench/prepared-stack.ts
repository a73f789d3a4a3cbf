import { REPO_ROOT } from '../stack/native/paths';
import { run } from '../stack/native/shell';
import { Progress, start, status, stop, up } from '../stack/native/stack';
import { service } from '../stack/topology';

/** The stack's own app servers: the `app` variant. */
export const APP_SERVERS = ['app-1', 'app-2'] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts whatever of the stack is not running. Apps already running are restarted when the app was just built,
 * so that every variant of the app runs the same code. Returns whether this call started the stack.
 */
export async function prepareStack(build: boolean, progress: Progress): Promise<boolean> {
  if (build) {
    progress('· building the app (npm run build)');
    run(['npm', 'run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  const wasRunning = (await status()).some((s) => s.pid !== null);
  await up({ build: false, progress });
  if (build && wasRunning) {
    for (const name of APP_SERVERS) {
      await stop(name);
      await start(name, progress);
    }
  }
  return !wasRunning;
}

async function replicasEligible(appServer: string): Promise<boolean> {
  const { address, port } = service(appServer);
  const response = await fetch(`http://${address}:${port}/health/replication`, { signal: AbortSignal.timeout(1000) });
  const { replicas } = (await response.json()) as { replicas: { eligible: boolean }[] };
  return replicas.length > 0 && replicas.every((r) => r.eligible);
}

/** Waits until app-1 and app-2 both route reads to every replica (after start-up, or a replica's restart). */
export async function waitForEligibleReplicas(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const appServer of APP_SERVERS) {
    while (!(await replicasEligible(appServer).catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`${appServer} still excludes a replica: see its /health/replication`);
      await sleep(250);
    }
  }
}
