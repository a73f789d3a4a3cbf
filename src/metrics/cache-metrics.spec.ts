import { Registry } from 'prom-client';
import { RedisCache } from '../cache/redis-cache';
import { CacheMetrics } from './cache-metrics';

describe('CacheMetrics', () => {
  it('should expose every cache statistic as a counter', async () => {
    const registry = new Registry();
    const cache = { stats: { hits: 40, misses: 12, errors: 2, skippedFills: 1, bypassed: 3 } } as RedisCache;
    new CacheMetrics(registry, cache);

    const text = await registry.metrics();

    expect(text).toContain('# TYPE app_cache_hits_total counter\napp_cache_hits_total 40\n');
    expect(text).toContain('app_cache_misses_total 12\n');
    expect(text).toContain('app_cache_errors_total 2\n');
    expect(text).toContain('app_cache_skipped_fills_total 1\n');
    expect(text).toContain('app_cache_bypassed_total 3\n');
  });
});
