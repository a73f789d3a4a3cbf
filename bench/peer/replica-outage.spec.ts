import { OutageCounts } from './replica-outage';

describe('OutageCounts', () => {
  it('should count reads and failures by the phase they were sent in', () => {
    const counts = new OutageCounts();

    counts.record('before', 200);
    counts.record('down', 200);
    counts.record('down', 503, 'The database is unavailable; try again shortly.');
    counts.record('after', 204);

    expect(counts.phases).toEqual({ before: { reads: 1, failed: 0 }, down: { reads: 2, failed: 1 }, after: { reads: 1, failed: 0 } });
    expect(counts.total).toEqual({ reads: 4, failed: 1 });
  });

  it('should count a socket error as a failure, and tally failures by answer', () => {
    const counts = new OutageCounts();

    counts.record('down', undefined, 'socket hang up');
    counts.record('down', 503, 'No app server answered.');
    counts.record('down', 503, 'No app server answered.');
    counts.record('down', 302);

    expect(counts.phases.down).toEqual({ reads: 4, failed: 4 });
    expect([...counts.failures]).toEqual([
      ['no answer socket hang up', 1],
      ['503 No app server answered.', 2],
      ['302', 1],
    ]);
  });
});
