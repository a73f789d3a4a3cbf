import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { CacheStats, RedisCache } from '../cache/redis-cache';

const COUNTERS: Record<keyof CacheStats, { name: string; help: string }> = {
  hits: { name: 'app_cache_hits_total', help: 'Cache lookups answered from Redis' },
  misses: { name: 'app_cache_misses_total', help: 'Cache lookups that read the database (bypassed entries included)' },
  errors: { name: 'app_cache_errors_total', help: 'Redis commands that failed or timed out (each counts as a miss)' },
  skippedFills: {
    name: 'app_cache_skipped_fills_total',
    help: "Fills Redis refused: the data was read before the key's last invalidation had replayed",
  },
  bypassed: { name: 'app_cache_bypassed_total', help: "Entries not served because the client's consistency token does not trust them" },
};

/** RedisCache.stats as Prometheus counters, copied in at scrape time. */
@Injectable()
export class CacheMetrics {
  constructor(registry: Registry, cache: RedisCache) {
    for (const [stat, { name, help }] of Object.entries(COUNTERS) as [keyof CacheStats, { name: string; help: string }][]) {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(cache.stats[stat]);
        },
      });
    }
  }
}
