import { IdWalk, scenarios } from './scenarios';
import type { WrkReport } from './wrk';

const load = { connections: 32, threads: 2, durationSeconds: 8 };
const ranTo = (furthest: number) => ({ furthest }) as WrkReport;

describe('IdWalk', () => {
  it('should start at the lowest id', () => {
    expect(new IdWalk(1001, 200_000).args('/api/articles/bench-article-', load)).toEqual(['/api/articles/bench-article-', '1001', '200000', '1001', '2']);
  });

  it('should start each run after the furthest id the last one requested, in flight or answered', () => {
    const walk = new IdWalk(1001, 200_000);

    walk.advance(ranTo(25_000));

    expect(walk.args('/api/articles/bench-article-', load)[3]).toBe('25001');
  });

  it('should keep counting past the highest id (walk.lua wraps the id, not the count)', () => {
    const walk = new IdWalk(1001, 200_000);

    walk.advance(ranTo(250_000));

    expect(walk.args('/api/articles/bench-article-', load)[3]).toBe('250001');
  });

  it('should fail when a run reported no position (a script that does not walk)', () => {
    expect(() => new IdWalk(1, 10).advance({} as WrkReport)).toThrow(/furthest/);
  });
});

describe('scenarios', () => {
  const ofTheApp = () => scenarios().filter((s) => s.name !== 'edge-get');

  it('should compare the app in every scenario of its own with fixed routing and with TypeORM\'s own replication, in that order', () => {
    for (const scenario of ofTheApp()) {
      expect(scenario.variants.slice(0, 3)).toEqual(['app', 'app-fixed', 'app-typeorm']);
    }
  });

  it('should give each wrk thread of a signed-in scenario a user of its own, and refuse to run short of users', () => {
    const signedIn = ['token-1', 'token-2', 'token-3'];
    const [mixed, writes] = ['mixed', 'writes'].map((name) => scenarios().find((s) => s.name === name)!);

    expect(mixed.args(load, signedIn).slice(-2)).toEqual(['token-1', 'token-2']);
    expect(writes.args(load, signedIn)).toEqual(['token-1', 'token-2']);
    expect(() => writes.args(load, ['token-1'])).toThrow(/2 wrk threads/);
  });

  it('should put a bare server last, and only as the ceiling it names', () => {
    for (const { variants, ceiling } of ofTheApp()) {
      expect(variants.slice(3)).toEqual(ceiling ? [ceiling.variant] : []);
    }
  });

  it("should load the edge with the cached scenario's hot reads, once with it and once with every request reaching an app", () => {
    const [cached, edge] = ['cached-get', 'edge-get'].map((name) => scenarios().find((s) => s.name === name)!);

    expect(edge.variants).toEqual(['app', 'app-edge']);
    expect([edge.script, edge.args(load, [])]).toEqual([cached.script, cached.args(load, [])]);
  });
});
