import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseConnection } from '../database/database-connection';

/** Down until the data source has connected (it keeps trying in the background): until then queries answer 503. */
@Injectable()
export class DatabaseConnectionHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly connection: DatabaseConnection,
  ) {}

  isHealthy<const Key extends string>(key: Key) {
    const check = this.health.check(key);
    return this.connection.connected ? check.up() : check.down({ reason: 'the data source has not connected yet' });
  }
}
