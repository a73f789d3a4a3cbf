import type { ScenarioName } from './scenarios';

export interface BenchOptions {
  /** Rounds of paired runs: each round runs every variant of a scenario once. */
  rounds: number;
  durationSeconds: number;
  warmUpSeconds: number;
  connections: number;
  threads: number;
  /** Only these scenarios; every one when empty. */
  scenarios: ScenarioName[];
  /** Build the app first (the default), so that the bench measures the current source. */
  build: boolean;
}

/** About 18 minutes on a 2-core machine, start-up included (16 before edge-get, 12 before app-typeorm joined every scenario). */
const FULL = { rounds: 5, durationSeconds: 8, warmUpSeconds: 3 };
/** About 3 minutes: to see that everything works, not to compare. */
const QUICK = { rounds: 2, durationSeconds: 3, warmUpSeconds: 1 };

const USAGE = `npm run bench -- [--quick] [--rounds N] [--duration SECONDS] [--connections N] [--scenario NAME,…] [--no-build]
npm run bench -- missing-packages`;

/** A flag's whole-number value above zero. */
export function positiveInteger(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive whole number, not ${value ?? 'nothing'}`);
  return n;
}

/** A flag's comma-separated value, each of `known` (what `--scenario`, `--only` take). */
export function namesFrom<T extends string>(flag: string, value: string | undefined, known: readonly T[]): T[] {
  const names = (value ?? '').split(',').filter(Boolean);
  if (names.length === 0 || names.some((name) => !known.includes(name as T))) throw new Error(`${flag} takes some of: ${known.join(', ')}`);
  return names as T[];
}

export function parseOptions(argv: readonly string[], known: readonly ScenarioName[]): BenchOptions {
  const options: BenchOptions = { ...(argv.includes('--quick') ? QUICK : FULL), connections: 32, threads: 2, scenarios: [], build: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--quick':
        break;
      case '--rounds':
        options.rounds = positiveInteger(flag, argv[++i]);
        break;
      case '--duration':
        options.durationSeconds = positiveInteger(flag, argv[++i]);
        break;
      case '--connections':
        options.connections = positiveInteger(flag, argv[++i]);
        break;
      case '--scenario':
        options.scenarios = namesFrom(flag, argv[++i], known);
        break;
      case '--no-build':
        options.build = false;
        break;
      default:
        throw new Error(`unknown option ${flag}\nusage: ${USAGE}`);
    }
  }
  options.threads = Math.min(options.threads, options.connections);
  return options;
}
