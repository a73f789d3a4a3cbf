import { lessBackground } from './measurement';

describe('lessBackground', () => {
  it("should take each role's idle CPU for the run's length off what it used", () => {
    const used = { app: 2.5, lb: 0.4, postgres: 1.2, redis: 0.1 };
    const idlePerSecond = { app: 0.025, lb: 0, postgres: 0.01, redis: 0.002 };

    const less = lessBackground(used, idlePerSecond, 8);

    expect(less.app).toBeCloseTo(2.3);
    expect(less.lb).toBeCloseTo(0.4);
    expect(less.postgres).toBeCloseTo(1.12);
    expect(less.redis).toBeCloseTo(0.084);
  });

  it('should leave the CPU as it was for a variant whose background was not measured', () => {
    const used = { app: 2.5, lb: 0.4, postgres: 1.2, redis: 0.1 };

    expect(lessBackground(used, undefined, 8)).toEqual(used);
  });
});
