import { Injectable } from '@nestjs/common';
import { RedisCache } from '../cache/redis-cache';
import { AppConfig } from '../config/app-config';
import { DatabaseTopology } from '../database/database-topology';
import { TopologyMonitor } from '../database/topology-monitor';
import { RecentReads } from './recent-reads';

/**
 * This app server's view of the topology, as the status page draws it: the primary and each replica as the
 * lag monitor last saw them, the thresholds lag is judged by, the cache, and where its last reads went.
 * Each app server has its own view; the page merges those of every instance it reaches through nginx.
 */
@Injectable()
export class TopologyView {
  constructor(
    private readonly config: AppConfig,
    private readonly topology: DatabaseTopology,
    private readonly monitor: TopologyMonitor,
    private readonly cache: RedisCache,
    private readonly reads: RecentReads,
  ) {}

  snapshot(now = new Date()) {
    return {
      instance: this.config.APP_INSTANCE,
      at: now.toISOString(),
      thresholds: { maxLagBytes: this.config.REPLICA_MAX_LAG_BYTES, maxLagSeconds: this.config.REPLICA_MAX_LAG_SECONDS },
      primary: this.monitor.primaryState,
      // Every node but the primary (roles move on failover; a former primary shows up here once it rejoins), the
      // analytics replicas apart: they serve reports, not reads.
      replicas: this.topology.othersServing('oltp'),
      analytics: this.topology.othersServing('analytics'),
      cache: { connection: this.cache.status, ...this.cache.stats },
      reads: this.reads.snapshot(),
    };
  }
}
