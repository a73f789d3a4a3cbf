import { namesFrom, positiveInteger } from '../options';

export const MEASUREMENTS = ['stale-reads', 'realworld', 'replica-outage', 'start-up'] as const;
export type Measurement = (typeof MEASUREMENTS)[number];

export interface ComparisonOptions {
  /** Write→read pairs per side and condition. */
  pairs: number;
  /** Concurrent clients making them. */
  clients: number;
  /** How long the replica stays stopped under the GET loops. */
  outageSeconds: number;
  /** How long a fresh server may take to serve reads with a replica down. */
  startUpSeconds: number;
  measurements: Measurement[];
  /** Build the app first (the default), so that both sides run the current source. */
  build: boolean;
}

export const USAGE = `npx tsx bench/compare-peer.ts [--pairs N] [--clients N] [--outage-seconds S] [--only ${MEASUREMENTS.join(',')}] [--no-build]`;

export function parseComparisonOptions(argv: readonly string[]): ComparisonOptions {
  const options: ComparisonOptions = { pairs: 300, clients: 10, outageSeconds: 10, startUpSeconds: 20, measurements: [...MEASUREMENTS], build: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--pairs':
        options.pairs = positiveInteger(flag, argv[++i]);
        break;
      case '--clients':
        options.clients = positiveInteger(flag, argv[++i]);
        break;
      case '--outage-seconds':
        options.outageSeconds = positiveInteger(flag, argv[++i]);
        break;
      case '--only':
        options.measurements = namesFrom(flag, argv[++i], MEASUREMENTS);
        break;
      case '--no-build':
        options.build = false;
        break;
      default:
        throw new Error(`unknown option ${flag}\nusage: ${USAGE}`);
    }
  }
  options.clients = Math.min(options.clients, options.pairs);
  return options;
}
