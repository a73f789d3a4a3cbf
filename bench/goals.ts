import type { Scenario } from './scenarios';
import type { ScenarioSummary } from './summary';

/** What the app should reach, checked on every run and reported (never asserted: see docs/benchmark.md, "Benchmark"). */
export interface GoalResult {
  scenario: string;
  goal: string;
  measured: number;
  /** `measured` as the table shows it. */
  shown: string;
  target: string;
  pass: boolean;
}

/** The most throughput replication awareness may cost against REPLICA_ROUTING=fixed. */
export const MAX_AWARENESS_OVERHEAD = 0.03;
/** "Zero round trips added", to the two decimals the table shows. */
const NO_EXTRA_ROUND_TRIPS = 0.005;

const signed = (n: number) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(2)}`;

export function evaluateGoals(scenario: Pick<Scenario, 'name' | 'ceiling'>, summary: ScenarioSummary): GoalResult[] {
  const against = (variant: string) => summary.comparisons.find((c) => c.variant === variant);
  const results: GoalResult[] = [];
  if (scenario.ceiling) {
    const ratio = against(scenario.ceiling.variant)?.throughputRatio ?? NaN;
    results.push({
      scenario: scenario.name,
      goal: `req/s, app ÷ ${scenario.ceiling.variant}`,
      measured: ratio,
      shown: ratio.toFixed(2),
      target: `≥ ${scenario.ceiling.minRatio.toFixed(2)}`,
      pass: ratio >= scenario.ceiling.minRatio,
    });
  }
  const fixed = against('app-fixed');
  if (fixed) {
    const awarenessGoal = (goal: string, measured: number): GoalResult => ({
      scenario: scenario.name,
      goal,
      measured,
      shown: `${(measured * 100).toFixed(1)} %`,
      target: `≤ ${(MAX_AWARENESS_OVERHEAD * 100).toFixed(0)} %`,
      pass: measured <= MAX_AWARENESS_OVERHEAD,
    });
    results.push(awarenessGoal('awareness overhead, 1 − app ÷ app-fixed req/s', 1 - fixed.throughputRatio));
    // Per request, the whole system's (app, nginx, PostgreSQL, Redis): steadier than req/s on a shared machine.
    results.push(awarenessGoal('awareness cost, CPU ms/req app ÷ app-fixed − 1', fixed.cpuPerRequestRatio - 1));
    results.push({
      scenario: scenario.name,
      goal: 'DB round trips added per request, app − app-fixed',
      measured: fixed.extraRoundTripsPerRequest,
      shown: signed(fixed.extraRoundTripsPerRequest),
      target: '0.00',
      pass: fixed.extraRoundTripsPerRequest < NO_EXTRA_ROUND_TRIPS,
    });
  }
  return results;
}
