import { Client } from 'pg';
import { withSuperuser } from '../../../stack/native/postgres';
import { start, stop } from '../../../stack/native/stack';
import { service } from '../../../stack/topology';

const quiet = () => undefined;

/** The stack's Redis, as the app servers reach it. */
export const stackRedisUrl = () => `redis://${service('redis').address}:${service('redis').port ?? 6379}`;

export const stopService = (name: string, hard = false) => stop(name, { hard });
export const startService = (name: string) => start(name, quiet);

/** Runs `fn` with services stopped in that order, and starts them again in the reverse, also when `fn` fails. */
export async function withServicesStopped<T>(names: string[], fn: () => Promise<T>): Promise<T> {
  try {
    for (const name of names) await stopService(name);
    return await fn();
  } finally {
    for (const name of [...names].reverse()) await startService(name);
  }
}

/** SQL as superuser on one node of the stack, over its own unix socket, in the app's database. */
export function onNode<T = Record<string, unknown>>(name: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return withSuperuser(name, async (client: Client) => (await client.query(sql, params)).rows as T[], 'app');
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Calls `step` over and over for `ms` milliseconds; returns how many times and the failures. */
export async function loopFor(ms: number, step: (i: number) => Promise<void>): Promise<{ count: number; failures: string[] }> {
  const failures: string[] = [];
  const deadline = Date.now() + ms;
  let count = 0;
  while (Date.now() < deadline) {
    await step(count++).catch((error: Error) => failures.push(error.message));
  }
  return { count, failures };
}

export { pauseReplay, resumeReplay } from '../../../stack/native/stack';
