import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { namespaceOf } from '../topology';
import { MACHINE_DIR, paths, STACK_DIR, STACK_DIR_MOUNT } from './paths';

export interface DaemonOptions {
  /** Run as this user (PostgreSQL refuses to run as root). setpriv execs, so the pid is the server's. */
  user?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run in this service's namespace rather than its own: a second server beside it (the benchmark's). */
  besideService?: string;
  /**
   * Bind STACK_DIR at STACK_DIR_MOUNT first, in the mount namespace `ip netns exec` gives the server (it
   * propagates nothing to this machine's), and start there: for servers that read or write STACK_DIR as
   * another user than root, who may not be able to enter the checkout.
   */
  mountStackDir?: boolean;
}

/** STACK_DIR_MOUNT, which /run loses at every boot: 0755 down to it, whatever root's umask, so that the servers' users can enter it. */
function ensureMountPoint(): void {
  for (const dir of [MACHINE_DIR, STACK_DIR_MOUNT]) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
  }
}

const asUser = (user?: string) => (user ? ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', '--'] : []);
const withStackDirMounted = () => ['sh', '-c', 'mount --bind "$1" "$2" && cd "$2" && shift 2 && exec "$@"', 'mount-stack-dir', STACK_DIR, STACK_DIR_MOUNT];

/**
 * argv that runs `command` inside the service's namespace as `user`, with STACK_DIR at STACK_DIR_MOUNT (see
 * DaemonOptions.mountStackDir): for a one-off command that uses the paths the servers see, pgBackRest's.
 */
export function inNamespaceThroughMount(serviceName: string, command: string[], user: string): string[] {
  ensureMountPoint();
  return inNamespace(serviceName, [...withStackDirMounted(), ...asUser(user), ...command]);
}

/** argv that runs `command` inside the service's namespace, as `user` when given. */
export function inNamespace(serviceName: string, command: string[], user?: string): string[] {
  return ['ip', 'netns', 'exec', namespaceOf(serviceName), ...asUser(user), ...command];
}

/** Starts a long-running server in its namespace, detached, logging to .stack/logs, pid in .stack/pids. */
export function startDaemon(serviceName: string, command: string[], options: DaemonOptions = {}): number {
  const logFile = paths.log(serviceName);
  mkdirSync(dirname(logFile), { recursive: true });
  mkdirSync(dirname(paths.pid(serviceName)), { recursive: true });
  const log = openSync(logFile, 'a');
  if (options.mountStackDir) ensureMountPoint();
  const mounted = options.mountStackDir ? withStackDirMounted() : [];
  const argv = inNamespace(options.besideService ?? serviceName, [...mounted, ...asUser(options.user), ...command]);
  const child = spawn(argv[0], argv.slice(1), {
    detached: true,
    stdio: ['ignore', log, log],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  closeSync(log);
  child.unref();
  if (!child.pid) throw new Error(`could not start ${serviceName}`);
  writeFileSync(paths.pid(serviceName), `${child.pid}\n`);
  return child.pid;
}

/** The last `count` lines of a text file ('' when there is none). */
export function lastLines(file: string, count: number): string {
  if (!existsSync(file)) return '';
  const lines = readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');
  return lines.slice(-count).join('\n');
}

/**
 * The end of a service's log, to go with the error that says it did not start: a CI checkout is deleted
 * together with its logs, so a path alone would point at nothing.
 */
export function logTail(serviceName: string, count = 40): string {
  const file = paths.log(serviceName);
  const tail = lastLines(file, count);
  return tail ? `--- the last ${count} lines of ${file} ---\n${tail}\n--- end of ${serviceName}'s log ---` : `(${serviceName} wrote no log at ${file})`;
}

export function daemonPid(serviceName: string): number | null {
  const file = paths.pid(serviceName);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return isAlive(pid) ? pid : null;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie answers kill(0) but is gone for every purpose that matters here.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Stops a daemon by its pid: `signal` first (SIGTERM: graceful; PostgreSQL: SIGINT = fast shutdown),
 * SIGKILL once `timeoutMs` has passed. Returns false when it was not running.
 */
export async function stopDaemon(serviceName: string, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<boolean> {
  const pid = daemonPid(serviceName);
  rmSync(paths.pid(serviceName), { force: true });
  if (pid === null) return false;
  await killAndWait(pid, signal, timeoutMs);
  return true;
}

export async function killAndWait(pid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
