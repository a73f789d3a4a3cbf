import { down, up } from '../../stack/native/stack';

/**
 * Starts the real native stack once for the whole e2e run (fast PostgreSQL settings: the data is
 * throwaway). A stack left over by a crashed run is removed first; a failed start removes what it began.
 */
export default async function globalSetup(): Promise<void> {
  process.env.STACK_FAST = '1';
  const quiet = process.env.STACK_VERBOSE ? console.log : () => undefined;
  await down({ volumes: true, progress: quiet });
  try {
    await up({ build: false, progress: (line) => process.stdout.write(`${line}\n`) });
  } catch (error) {
    await down({ volumes: true, progress: quiet });
    throw error;
  }
}
