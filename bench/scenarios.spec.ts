import { IdWalk } from './scenarios';
import type { WrkReport } from './wrk';

const load = { connections: 32, threads: 2, durationSeconds: 8 };
const ranTo = (furthest: number) => ({ furthest }) as WrkReport;

describe('IdWalk', () => {
  it('should start at the lowest id', () => {
    expect(new IdWalk(1001, 200_000).args('/articles/', load)).toEqual(['/articles/', '1001', '200000', '1001', '2']);
  });

  it('should start each run after the furthest id the last one requested, in flight or answered', () => {
    const walk = new IdWalk(1001, 200_000);

    walk.advance(ranTo(25_000));

    expect(walk.args('/articles/', load)[3]).toBe('25001');
  });

  it('should keep counting past the highest id (walk.lua wraps the id, not the count)', () => {
    const walk = new IdWalk(1001, 200_000);

    walk.advance(ranTo(250_000));

    expect(walk.args('/articles/', load)[3]).toBe('250001');
  });

  it('should fail when a run reported no position (a script that does not walk)', () => {
    expect(() => new IdWalk(1, 10).advance({} as WrkReport)).toThrow(/furthest/);
  });
});
