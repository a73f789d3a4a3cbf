import type { RunResult } from './measurement';
import type { Scenario, ScenarioName } from './scenarios';
import { median } from './statistics';
import type { VariantName } from './variants';

/** One variant in one scenario: medians over rounds, except errors (the total) and peak RSS (the highest). */
export interface VariantSummary {
  variant: VariantName;
  rounds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  errors: number;
  /** Each X-DB-Node value as a share of every response over every round; `none` for those without one. */
  servedByShare: Record<string, number>;
  cacheHitRatio: number | null;
  /** X-Edge-Cache: HIT ÷ every response, over every round. */
  edgeHitShare: number;
  cpuMsPerRequest: number;
  /** The variant's own servers' share of cpuMsPerRequest. */
  appCpuMsPerRequest: number;
  peakRssMib: number | null;
  dbStatementsPerRequest: number;
  dbRoundTripsPerRequest: number;
}

/** The app against another variant: medians of the per-round (paired) figures. */
export interface Comparison {
  variant: VariantName;
  /** The app's requests/s ÷ the variant's. */
  throughputRatio: number;
  /** The app's CPU ms per request (every serving process) ÷ the variant's. */
  cpuPerRequestRatio: number;
  /** The app's DB statements per request − the variant's. */
  extraStatementsPerRequest: number;
  /** The app's DB round trips per request − the variant's. */
  extraRoundTripsPerRequest: number;
}

export interface ScenarioSummary {
  scenario: ScenarioName;
  variants: VariantSummary[];
  comparisons: Comparison[];
}

const nullableMedian = (values: (number | null)[]) => {
  const present = values.filter((v) => v !== null);
  return present.length ? median(present) : null;
};

function summarizeVariant(variant: VariantName, runs: RunResult[]): VariantSummary {
  const servedBy: Record<string, number> = {};
  for (const run of runs) for (const [node, n] of Object.entries(run.servedBy)) servedBy[node] = (servedBy[node] ?? 0) + n;
  const responses = runs.reduce((total, r) => total + r.requests, 0);
  const named = Object.values(servedBy).reduce((a, b) => a + b, 0);
  if (responses > named) servedBy.none = responses - named;
  const peaks = runs.map((r) => r.peakRssMib).filter((p) => p !== null);
  return {
    variant,
    rounds: runs.length,
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    latencyMs: {
      p50: median(runs.map((r) => r.latencyMs.p50)),
      p99: median(runs.map((r) => r.latencyMs.p99)),
      max: median(runs.map((r) => r.latencyMs.max)),
    },
    errors: runs.reduce((total, r) => total + r.errors, 0),
    servedByShare: Object.fromEntries(Object.entries(servedBy).map(([node, n]) => [node, n / responses])),
    cacheHitRatio: nullableMedian(runs.map((r) => r.cacheHitRatio)),
    edgeHitShare: runs.reduce((hits, r) => hits + r.edgeHitShare * r.requests, 0) / responses,
    cpuMsPerRequest: median(runs.map((r) => r.cpuMsPerRequest)),
    appCpuMsPerRequest: median(runs.map((r) => (r.cpuSeconds.app * 1000) / r.requests)),
    peakRssMib: peaks.length ? Math.max(...peaks) : null,
    dbStatementsPerRequest: median(runs.map((r) => r.dbStatementsPerRequest)),
    dbRoundTripsPerRequest: median(runs.map((r) => r.dbRoundTripsPerRequest)),
  };
}

/** Pairs each round's app run with the same round's run of `variant`. */
function compare(runs: RunResult[], variant: VariantName): Comparison {
  const pairs = [...new Set(runs.map((r) => r.round))].flatMap((round) => {
    const app = runs.find((r) => r.round === round && r.variant === 'app');
    const other = runs.find((r) => r.round === round && r.variant === variant);
    return app && other ? [[app, other] as const] : [];
  });
  return {
    variant,
    throughputRatio: median(pairs.map(([app, other]) => app.requestsPerSecond / other.requestsPerSecond)),
    cpuPerRequestRatio: median(pairs.map(([app, other]) => app.cpuMsPerRequest / other.cpuMsPerRequest)),
    extraStatementsPerRequest: median(pairs.map(([app, other]) => app.dbStatementsPerRequest - other.dbStatementsPerRequest)),
    extraRoundTripsPerRequest: median(pairs.map(([app, other]) => app.dbRoundTripsPerRequest - other.dbRoundTripsPerRequest)),
  };
}

export function summarize(scenario: Pick<Scenario, 'name' | 'variants'>, runs: RunResult[]): ScenarioSummary {
  const ofScenario = runs.filter((r) => r.scenario === scenario.name);
  return {
    scenario: scenario.name,
    variants: scenario.variants.map((variant) => summarizeVariant(variant, ofScenario.filter((r) => r.variant === variant))),
    comparisons: scenario.variants.filter((v) => v !== 'app').map((variant) => compare(ofScenario, variant)),
  };
}
