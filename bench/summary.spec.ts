import type { RunResult } from './measurement';
import type { Scenario } from './scenarios';
import { summarize } from './summary';

const scenario: Pick<Scenario, 'name' | 'variants'> = { name: 'uncached-get', variants: ['app', 'app-fixed', 'pg-ceiling'] };

function run(overrides: Partial<RunResult>): RunResult {
  return {
    scenario: 'uncached-get',
    variant: 'app',
    round: 1,
    requests: 1000,
    requestsPerSecond: 1000,
    durationSeconds: 1,
    latencyMs: { p50: 10, p99: 50, max: 90 },
    errors: 0,
    servedBy: { 'db-replica-1': 500, 'db-replica-2': 500 },
    cacheHitRatio: 0,
    edgeHitShare: 0,
    cpuSeconds: { app: 1, lb: 0.2, postgres: 0.5, redis: 0.1 },
    cpuMsPerRequest: 1.8,
    peakRssMib: 250,
    dbStatementsPerRequest: 1,
    dbRoundTripsPerRequest: 1,
    ...overrides,
  };
}

describe('summarize', () => {
  it("should give the edge's hits as a share of every response over every round, however many each round served", () => {
    const edgeRuns = [run({ variant: 'app', requests: 3000, edgeHitShare: 0.9 }), run({ round: 2, variant: 'app', requests: 1000, edgeHitShare: 0.5 })];

    expect(summarize({ name: 'edge-get', variants: ['app'] }, edgeRuns.map((r) => ({ ...r, scenario: 'edge-get' }))).variants[0].edgeHitShare).toBeCloseTo(0.8);
  });

  const runs = [
    run({ round: 1, requestsPerSecond: 900, dbStatementsPerRequest: 1.5, dbRoundTripsPerRequest: 1, errors: 2, peakRssMib: 240 }),
    run({ round: 1, variant: 'app-fixed', requestsPerSecond: 1000 }),
    run({ round: 1, variant: 'pg-ceiling', requestsPerSecond: 2000 }),
    run({ round: 2, requestsPerSecond: 1200, dbStatementsPerRequest: 1.4, dbRoundTripsPerRequest: 1.2, errors: 1, peakRssMib: 260 }),
    run({ round: 2, variant: 'app-fixed', requestsPerSecond: 1000 }),
    run({ round: 2, variant: 'pg-ceiling', requestsPerSecond: 3000 }),
    run({ round: 3, requestsPerSecond: 1000, dbStatementsPerRequest: 1.6, dbRoundTripsPerRequest: 1.1 }),
    run({ round: 3, variant: 'app-fixed', requestsPerSecond: 800 }),
    run({ round: 3, variant: 'pg-ceiling', requestsPerSecond: 2500 }),
    run({ scenario: 'writes', round: 1, requestsPerSecond: 1 }),
  ];

  it("should give each variant the medians of its rounds, in the scenario's order", () => {
    const summary = summarize(scenario, runs);

    expect(summary.variants.map((v) => v.variant)).toEqual(['app', 'app-fixed', 'pg-ceiling']);
    expect(summary.variants[0]).toMatchObject({ rounds: 3, requestsPerSecond: 1000, dbStatementsPerRequest: 1.5 });
  });

  it('should total the errors and keep the highest peak RSS', () => {
    expect(summarize(scenario, runs).variants[0]).toMatchObject({ errors: 3, peakRssMib: 260 });
  });

  it('should give the share of each node among all responses, and of those that named none', () => {
    const cached = [run({ requests: 1000, servedBy: { 'db-replica-1': 10, 'db-replica-2': 10 } }), run({ round: 2, requests: 1000, servedBy: {} })];

    expect(summarize(scenario, cached).variants[0].servedByShare).toEqual({ 'db-replica-1': 0.005, 'db-replica-2': 0.005, none: 0.99 });
  });

  it("should give the app's CPU per request apart from the total", () => {
    expect(summarize(scenario, runs).variants[0]).toMatchObject({ cpuMsPerRequest: 1.8, appCpuMsPerRequest: 1 });
  });

  it('should compare the app with each other variant round by round, and take the median of those ratios', () => {
    const [fixed, ceiling] = summarize(scenario, runs).comparisons;

    // rounds: 900/1000, 1200/1000, 1000/800 → 0.9, 1.2, 1.25
    expect(fixed).toMatchObject({ variant: 'app-fixed', throughputRatio: 1.2 });
    expect(fixed.extraStatementsPerRequest).toBeCloseTo(0.5);
    expect(fixed.extraRoundTripsPerRequest).toBeCloseTo(0.1); // rounds: +0, +0.2, +0.1
    // rounds: 900/2000, 1200/3000, 1000/2500 → 0.45, 0.4, 0.4
    expect(ceiling).toMatchObject({ variant: 'pg-ceiling', throughputRatio: 0.4 });
  });

  it("should compare CPU per request the same way: the median of each round's app ÷ variant", () => {
    const cpuRuns = [
      run({ round: 1, cpuMsPerRequest: 2 }),
      run({ round: 1, variant: 'app-fixed', cpuMsPerRequest: 1 }),
      run({ round: 2, cpuMsPerRequest: 1.5 }),
      run({ round: 2, variant: 'app-fixed', cpuMsPerRequest: 1.5 }),
      run({ round: 3, cpuMsPerRequest: 1.2 }),
      run({ round: 3, variant: 'app-fixed', cpuMsPerRequest: 1 }),
    ];

    // rounds: 2/1, 1.5/1.5, 1.2/1 → 2, 1, 1.2
    expect(summarize({ name: 'uncached-get', variants: ['app', 'app-fixed'] }, cpuRuns).comparisons[0].cpuPerRequestRatio).toBeCloseTo(1.2);
  });

  it('should leave out a round in which one side of a pair did not run', () => {
    const interrupted = [...runs.slice(0, 6), runs[6]];

    expect(summarize(scenario, interrupted).comparisons[0].throughputRatio).toBeCloseTo((0.9 + 1.2) / 2);
  });
});
