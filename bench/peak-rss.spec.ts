import { peakRssKibOf } from './peak-rss';

describe('peakRssKibOf', () => {
  it('should read VmHWM from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1203456 kB\nVmSize:\t 1180000 kB\nVmHWM:\t  251904 kB\nVmRSS:\t  240000 kB\n';

    expect(peakRssKibOf(status)).toBe(251904);
  });

  it('should be null for a kernel thread, which has no memory of its own', () => {
    expect(peakRssKibOf('Name:\tkworker/0:1\nState:\tI (idle)\n')).toBeNull();
  });
});
