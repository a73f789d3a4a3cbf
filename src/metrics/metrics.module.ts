import { Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { CacheMetrics } from './cache-metrics';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { ReplicationMetrics } from './replication-metrics';

/** GET /metrics for Prometheus: HTTP, routing, replication, pools, tokens, cache, and Node's own. */
@Module({
  controllers: [MetricsController],
  providers: [
    {
      // Our own registry rather than prom-client's global one: nothing else in the process can add to it.
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        return registry;
      },
    },
    HttpMetrics,
    ReplicationMetrics,
    CacheMetrics,
  ],
  exports: [HttpMetrics],
})
export class MetricsModule {}
