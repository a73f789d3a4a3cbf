import { parseLsn } from './lsn';
import { judge } from './replica-lag-monitor';

const thresholds = { maxLagBytes: 1000, maxLagSeconds: 5 };
const row = (overrides: Partial<Parameters<typeof judge>[0]> = {}) => ({
  cluster_name: 'db-replica-1',
  in_recovery: true,
  replay_lsn: '0/1000',
  receive_lsn: '0/1000',
  paused: false,
  replay_age_seconds: 3600,
  apply_delay_ms: 0,
  ...overrides,
});

describe('judge (one replica probe)', () => {
  it('should report zero lag on an idle, caught-up replica however old its last replayed commit', () => {
    const verdict = judge(row({ replay_age_seconds: 86_400 }), parseLsn('0/1000'), thresholds);

    expect(verdict.problem).toBeNull();
    expect(verdict.observed).toMatchObject({ lagBytes: 0, lagSeconds: 0 });
  });

  it('should measure lag in bytes as primary LSN minus replay LSN', () => {
    const verdict = judge(row({ replay_age_seconds: 1 }), parseLsn('0/1200'), thresholds);

    expect(verdict.observed).toMatchObject({ lagBytes: 0x200, lagSeconds: 1 });
    expect(verdict.problem).toBeNull();
  });

  it('should find a problem over the byte threshold', () => {
    expect(judge(row({ replay_age_seconds: 1 }), parseLsn('0/2000'), thresholds).problem).toMatch(/lag 4096 bytes > 1000/);
  });

  it('should find a problem over the seconds threshold while behind', () => {
    expect(judge(row({ replay_age_seconds: 9 }), parseLsn('0/1010'), thresholds).problem).toMatch(/lag 9\.0 s > 5 s/);
  });

  it('should refuse a node that is no longer in recovery', () => {
    expect(judge(row({ in_recovery: false }), parseLsn('0/1000'), thresholds).problem).toMatch(/not a replica/);
  });

  it('should keep a reachable replica eligible while the primary is unreachable', () => {
    const verdict = judge(row(), null, thresholds);

    expect(verdict.problem).toBeNull();
    expect(verdict.observed.lagBytes).toBeNull();
  });

  it('should report a paused replay', () => {
    expect(judge(row({ paused: true }), parseLsn('0/1000'), thresholds).observed.replayPaused).toBe(true);
  });
});
