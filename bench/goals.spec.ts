import { evaluateGoals } from './goals';
import type { Scenario } from './scenarios';
import type { ScenarioSummary } from './summary';

const cachedGet: Pick<Scenario, 'name' | 'ceiling'> = { name: 'cached-get', ceiling: { variant: 'redis-ceiling', minRatio: 0.7 } };

function summaryWith(fixedRatio: number, extraRoundTrips: number, ceilingRatio: number, cpuRatio = 1.02): ScenarioSummary {
  return {
    scenario: 'cached-get',
    variants: [],
    comparisons: [
      { variant: 'app-fixed', throughputRatio: fixedRatio, cpuPerRequestRatio: cpuRatio, extraStatementsPerRequest: 1, extraRoundTripsPerRequest: extraRoundTrips },
      { variant: 'redis-ceiling', throughputRatio: ceilingRatio, cpuPerRequestRatio: 2, extraStatementsPerRequest: 0, extraRoundTripsPerRequest: 0 },
    ],
  };
}

describe('evaluateGoals', () => {
  it('should pass a scenario within every target', () => {
    const goals = evaluateGoals(cachedGet, summaryWith(0.98, 0.001, 0.75));

    expect(goals.map((g) => [g.goal, g.shown, g.pass])).toEqual([
      ['req/s, app ÷ redis-ceiling', '0.75', true],
      ['awareness overhead, 1 − app ÷ app-fixed req/s', '2.0 %', true],
      ['awareness cost, CPU ms/req app ÷ app-fixed − 1', '2.0 %', true],
      ['DB round trips added per request, app − app-fixed', '+0.00', true],
    ]);
  });

  it('should fail each target that is missed', () => {
    const goals = evaluateGoals(cachedGet, summaryWith(0.9, 0.4, 0.5, 1.25));

    expect(goals.map((g) => [g.shown, g.pass])).toEqual([
      ['0.50', false],
      ['10.0 %', false],
      ['25.0 %', false],
      ['+0.40', false],
    ]);
  });

  it('should hold a scenario without a bare server only to the fixed-routing app', () => {
    const writes: Pick<Scenario, 'name'> = { name: 'writes' };

    expect(evaluateGoals(writes, summaryWith(1, 0, NaN)).map((g) => g.goal)).toEqual([
      'awareness overhead, 1 − app ÷ app-fixed req/s',
      'awareness cost, CPU ms/req app ÷ app-fixed − 1',
      'DB round trips added per request, app − app-fixed',
    ]);
  });
});
