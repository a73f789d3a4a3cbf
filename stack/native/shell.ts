import { spawn, spawnSync, SpawnSyncOptions } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly status: number | null,
    readonly output: string,
  ) {
    super(`command failed (${status}): ${command}\n${output.trim()}`);
  }
}

/** Runs a command to completion and returns its stdout; throws with its output when it fails. */
export function run(argv: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new CommandError(argv.join(' '), result.status, `${result.stdout ?? ''}${result.stderr ?? ''}`);
  }
  return String(result.stdout ?? '');
}

/** Like run() but never throws: true when the command exited 0. */
export function succeeds(argv: string[], options: SpawnSyncOptions = {}): boolean {
  const result = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', ...options });
  return result.status === 0;
}

/** Runs a command asynchronously (so several can run at once), resolving with its output. */
export function runAsync(argv: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new CommandError(argv.join(' '), code, output))));
  });
}

/** Thrown by a waitFor probe when waiting longer cannot help (the server being waited for exited). */
export class StopWaiting extends Error {}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      if (error instanceof StopWaiting) throw error;
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
}
