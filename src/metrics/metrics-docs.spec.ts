import { CertificationRetryCounters } from '../database/galera/certification-retry';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { RedisCache } from '../cache/redis-cache';
import { ConsistencyTokens } from '../database/consistency-tokens';
import { fakeNode, topologyLedBy } from '../database/testing/fakes';
import { CacheMetrics } from './cache-metrics';
import { HttpMetrics } from './http-metrics';
import { ReplicationMetrics } from './replication-metrics';

const root = join(__dirname, '..', '..');

/** Every metric the app registers itself (Node's defaults aside). */
function appMetrics(): { name: string; type: string }[] {
  const registry = new Registry();
  new HttpMetrics(registry);
  new ReplicationMetrics(registry, topologyLedBy(fakeNode('db-primary')), { stats: {} } as ConsistencyTokens, new CertificationRetryCounters());
  new CacheMetrics(registry, { stats: {} } as RedisCache);
  return registry.getMetricsAsArray().map(({ name, type }) => ({ name, type: String(type) }));
}

describe('metrics documentation', () => {
  it('should give every metric a row in the metrics table of docs/observability.md, and no row to a metric that does not exist', () => {
    const table = readFileSync(join(root, 'docs', 'observability.md'), 'utf8');

    const rows = [...table.matchAll(/^\| `(app_[a-z0-9_]+)` \|/gm)].map((m) => m[1]);

    expect(rows.sort()).toEqual(appMetrics().map((metric) => metric.name).sort());
  });

  it('should chart every metric in the Grafana dashboard, and only metrics that exist', () => {
    const dashboard = readFileSync(join(root, 'observability', 'grafana', 'dashboards', 'nest-replica-starter.json'), 'utf8');
    const { panels } = JSON.parse(dashboard) as { panels: { targets?: { expr: string }[] }[] };

    const charted = panels
      .flatMap((panel) => panel.targets ?? [])
      .flatMap(({ expr }) => [...expr.matchAll(/\bapp_[a-z0-9_]+/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, '')));

    expect([...new Set(charted)].sort()).toEqual(appMetrics().map((metric) => metric.name).sort());
  });

  it('should follow Prometheus naming: the app_ prefix, snake_case, _total on counters only, base units', () => {
    const metrics = appMetrics();

    expect(metrics.filter(({ name }) => !/^app_[a-z0-9]+(_[a-z0-9]+)*$/.test(name))).toEqual([]);
    expect(metrics.filter(({ name, type }) => name.endsWith('_total') !== (type === 'counter'))).toEqual([]);
    expect(metrics.filter(({ name }) => /_(ms|milliseconds|kb|mb|percent)(_|$)/.test(name))).toEqual([]);
  });
});
