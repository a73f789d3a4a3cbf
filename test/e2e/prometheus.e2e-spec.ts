import { existsSync } from 'node:fs';
import { service } from '../../stack/topology';
import { request } from './support/client';
import { startService, stopService, until } from './support/stack-control';

const prometheusApi = (path: string) => request('GET', path, { baseUrl: `http://${service('prometheus').address}:9090` }).then((r) => r.json());

// Prometheus is optional: Debian's package is not among what setup installs, so without it there is nothing to test.
const describeWhenInstalled = existsSync('/usr/bin/prometheus') ? describe : describe.skip;

describeWhenInstalled('prometheus, the optional native service', () => {
  it('should scrape both app servers with observability/prometheus.yml and hold their metrics', async () => {
    await startService('prometheus');
    try {
      const targets = await until('both app servers scraped', async () => {
        const { data } = await prometheusApi('/api/v1/targets');
        const active = data.activeTargets as { labels: { instance: string }; health: string }[];
        return active.length === 2 && active.every((t) => t.health === 'up') && active;
      }, 30_000);
      const { data } = await prometheusApi(`/api/v1/query?query=${encodeURIComponent('app_replica_eligible')}`);

      expect(targets.map((t) => t.labels.instance).sort()).toEqual(['app-1', 'app-2']);
      const series = (data.result as { metric: { instance: string; replica: string } }[]).map(({ metric }) => `${metric.instance} ${metric.replica}`);
      // The analytics replica's lag too (its own series; docs/analytics.md).
      expect(series.sort()).toEqual(['app-1 db-analytics', 'app-1 db-replica-1', 'app-1 db-replica-2', 'app-2 db-analytics', 'app-2 db-replica-1', 'app-2 db-replica-2']);
    } finally {
      await stopService('prometheus');
    }
  });
});
