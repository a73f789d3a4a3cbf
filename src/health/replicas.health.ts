import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseTopology } from '../database/database-topology';

/** Degraded, never down, when replicas are out: reads then go to the primary, the app still serves. */
@Injectable()
export class ReplicasHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly topology: DatabaseTopology,
  ) {}

  isHealthy<const Key extends string>(key: Key) {
    // Every node is a host, the primary too: judge the others of the read rotation (an analytics replica's state
    // is the reports', shown by /health/replication).
    const replicas = this.topology.othersServing('oltp');
    const eligible = replicas.filter((r) => r.eligible).map((r) => r.name);
    const excluded = replicas.filter((r) => !r.eligible).map((r) => ({ name: r.name, reason: r.reason }));
    const session = this.health.check(key);
    return excluded.length === 0 ? session.up({ eligible }) : session.degraded({ eligible, excluded });
  }
}
