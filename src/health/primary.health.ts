import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseTopology } from '../database/database-topology';

/** Up when the primary answers and accepts writes (not in recovery, not read-only). */
@Injectable()
export class PrimaryHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly topology: DatabaseTopology,
  ) {}

  isHealthy<const Key extends string>(key: Key) {
    const { primary } = this.topology;
    if (!primary) return this.health.check(key).down({ reason: `no primary: ${this.topology.primaryProblem}` });
    return this.health
      .check(key)
      .attempt(async () => {
        const { rows } = await primary.probes.query(
          "SELECT pg_is_in_recovery() AS in_recovery, current_setting('transaction_read_only') AS read_only",
        );
        if (rows[0].in_recovery || rows[0].read_only === 'on') throw new Error(`${primary.name} is not writable`);
        return { name: primary.name };
      })
      .withTimeout(1500);
  }
}
