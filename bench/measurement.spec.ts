import { RunResult, withoutBackground } from './measurement';

const run = (cpuSeconds: RunResult['cpuSeconds']): RunResult => ({
  scenario: 'writes',
  variant: 'app',
  round: 1,
  requests: 1000,
  requestsPerSecond: 125,
  durationSeconds: 8,
  latencyMs: { p50: 1, p99: 2, max: 3 },
  errors: 0,
  servedBy: {},
  cacheHitRatio: null,
  edgeHitShare: 0,
  cpuSeconds,
  cpuMsPerRequest: 0,
  peakRssMib: null,
  dbStatementsPerRequest: 0,
  dbRoundTripsPerRequest: 0,
});

describe('withoutBackground', () => {
  it("should take each role's idle CPU for the run's length off what it used, and count CPU per request from the rest", () => {
    const idlePerSecond = { app: 0.025, lb: 0, postgres: 0.01, redis: 0.002 };

    const less = withoutBackground(run({ app: 2.5, lb: 0.4, postgres: 1.2, redis: 0.1 }), idlePerSecond);

    expect(less.cpuSeconds.app).toBeCloseTo(2.3);
    expect(less.cpuSeconds.lb).toBeCloseTo(0.4);
    expect(less.cpuSeconds.postgres).toBeCloseTo(1.12);
    expect(less.cpuSeconds.redis).toBeCloseTo(0.084);
    expect(less.cpuMsPerRequest).toBeCloseTo(3.904);
  });

  it("should count a run's CPU whole for a variant whose idle CPU was not measured", () => {
    expect(withoutBackground(run({ app: 2.5, lb: 0.4, postgres: 1.2, redis: 0.1 }), undefined).cpuMsPerRequest).toBeCloseTo(4.2);
  });
});
