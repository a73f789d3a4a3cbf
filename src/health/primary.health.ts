import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseTopology } from '../database/database-topology';

type PrimaryNode = NonNullable<DatabaseTopology['primary']>;

/**
 * Up when the primary answers and accepts writes (not in recovery, not read-only). Asked on the node's own
 * readiness pool, never the topology monitor's (a burst of checks would time out the probe that elects the
 * primary); concurrent checks share one query.
 */
@Injectable()
export class PrimaryHealthIndicator {
  private readonly inFlight = new Map<PrimaryNode, Promise<{ name: string }>>();

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly topology: DatabaseTopology,
  ) {}

  isHealthy<const Key extends string>(key: Key) {
    const { primary } = this.topology;
    if (!primary) return this.health.check(key).down({ reason: `no primary: ${this.topology.primaryProblem}` });
    return this.health
      .check(key)
      .attempt(() => this.writable(primary))
      .withTimeout(1500);
  }

  private writable(primary: PrimaryNode): Promise<{ name: string }> {
    let check = this.inFlight.get(primary);
    if (!check) {
      check = primary
        .checkWritable()
        .then(() => ({ name: primary.name }))
        .finally(() => this.inFlight.delete(primary));
      this.inFlight.set(primary, check);
    }
    return check;
  }
}
