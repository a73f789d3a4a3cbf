import { down } from '../../stack/native/stack';

/** Runs after every e2e run, also a failed one: nothing of the stack is left running. */
export default async function globalTeardown(): Promise<void> {
  if (process.env.KEEP_STACK === '1') return;
  await down({ volumes: true, progress: () => undefined });
}
