import { parseComparisonOptions } from './comparison-options';

describe('parseComparisonOptions', () => {
  it('should default to 300 pairs by 10 clients, a 10 s outage, 20 s to start, every measurement, a fresh build', () => {
    expect(parseComparisonOptions([])).toEqual({
      pairs: 300,
      clients: 10,
      outageSeconds: 10,
      startUpSeconds: 20,
      measurements: ['stale-reads', 'realworld', 'replica-outage', 'start-up'],
      build: true,
    });
  });

  it('should take some of the measurements, and refuse unknown ones', () => {
    expect(parseComparisonOptions(['--only', 'start-up,stale-reads']).measurements).toEqual(['start-up', 'stale-reads']);
    expect(parseComparisonOptions(['--only', 'realworld']).measurements).toEqual(['realworld']);
    expect(() => parseComparisonOptions(['--only', 'failover'])).toThrow(/stale-reads, realworld, replica-outage, start-up/);
  });

  it('should never use more clients than pairs', () => {
    expect(parseComparisonOptions(['--pairs', '4']).clients).toBe(4);
  });

  it('should refuse numbers that are not positive whole numbers, and unknown flags', () => {
    expect(() => parseComparisonOptions(['--pairs', '0'])).toThrow(/--pairs/);
    expect(() => parseComparisonOptions(['--outage-seconds'])).toThrow(/--outage-seconds/);
    expect(() => parseComparisonOptions(['--quick'])).toThrow(/unknown option --quick/);
  });
});
