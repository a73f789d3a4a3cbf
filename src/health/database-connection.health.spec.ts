import { HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseConnection } from '../database/database-connection';
import { DatabaseConnectionHealthIndicator } from './database-connection.health';

describe('DatabaseConnectionHealthIndicator', () => {
  const indicator = (connected: boolean) => new DatabaseConnectionHealthIndicator(new HealthIndicatorService(), { connected } as DatabaseConnection);

  it('should be down while the data source has not connected, so that readiness is 503', () => {
    expect(indicator(false).isHealthy('database')).toEqual({ database: { status: 'down', reason: 'the data source has not connected yet' } });
  });

  it('should be up once it has', () => {
    expect(indicator(true).isHealthy('database')).toEqual({ database: { status: 'up' } });
  });
});
