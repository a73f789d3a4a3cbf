import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { RedisCache } from '../cache/redis-cache';
import { AppConfig } from '../config/app-config';
import { ConsistencyTokens } from '../database/consistency-tokens';
import { DatabaseTopology } from '../database/database-topology';
import { TopologyMonitor } from '../database/topology-monitor';
import { CacheHealthIndicator } from './cache.health';
import { DatabaseConnectionHealthIndicator } from './database-connection.health';
import { PrimaryHealthIndicator } from './primary.health';
import { ReplicasHealthIndicator } from './replicas.health';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly primary: PrimaryHealthIndicator,
    private readonly replicas: ReplicasHealthIndicator,
    private readonly database: DatabaseConnectionHealthIndicator,
    private readonly cache: CacheHealthIndicator,
    private readonly topology: DatabaseTopology,
    private readonly monitor: TopologyMonitor,
    private readonly tokens: ConsistencyTokens,
    private readonly cacheStore: RedisCache,
    private readonly config: AppConfig,
  ) {}

  /** The process answers; nothing else is checked. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * 200 while the data source is connected and the primary is writable (replica or cache trouble only
   * degrades); 503 otherwise and on shutdown.
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.database.isHealthy('database'),
      () => this.primary.isHealthy('primary'),
      () => this.replicas.isHealthy('replicas'),
      () => this.cache.isHealthy('cache'),
    ]);
  }

  /**
   * Each node as the lag monitor last saw it (LSNs, lag in bytes and seconds, eligibility and why not): the
   * replicas of the read rotation, and apart the analytics replicas; the routing policy, and what consistency
   * tokens and the cache have done.
   */
  @Get('replication')
  replication() {
    const replicas = this.topology.othersServing('oltp');
    // Reports only (docs/analytics.md): lag here is a report's replay wait, not a problem; never in the rotation.
    const analytics = this.topology.othersServing('analytics');
    const primary = this.monitor.primaryState;
    const status = this.topology.primary && replicas.length > 0 && [...replicas, ...analytics].every((r) => r.eligible) ? 'ok' : 'degraded';
    const routing = {
      fallbackWhenNoReplica: this.config.REPLICA_FALLBACK,
      maxLagBytes: this.config.REPLICA_MAX_LAG_BYTES,
      maxLagSeconds: this.config.REPLICA_MAX_LAG_SECONDS,
      replicasFromDns: this.config.DB_REPLICAS_FROM_DNS ?? null,
    };
    return { status, positions: this.positions(), primary, replicas, analytics, routing, consistencyTokens: this.tokens.stats, cache: this.cacheStore.stats };
  }

  /**
   * What the positions and lags above count: WAL bytes on PostgreSQL; on MariaDB the sequence numbers of one GTID
   * domain, so `lagBytes` counts transactions (write sets on Galera), and an LSN-notation position such as `0/39`
   * is sequence 57.
   */
  private positions() {
    const { DB_DIALECT, DB_TOPOLOGY, DB_GTID_DOMAIN_ID } = this.config;
    if (DB_DIALECT === 'postgres') return { dialect: DB_DIALECT, counts: 'wal-bytes' };
    return { dialect: DB_DIALECT, topology: DB_TOPOLOGY, counts: 'transactions', gtidDomainId: DB_GTID_DOMAIN_ID };
  }
}
