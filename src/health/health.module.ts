import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config';
import { CacheHealthIndicator } from './cache.health';
import { DatabaseConnectionHealthIndicator } from './database-connection.health';
import { HealthController } from './health.controller';
import { PrimaryHealthIndicator } from './primary.health';
import { ReplicasHealthIndicator } from './replicas.health';

@Module({
  imports: [
    // On SIGTERM readiness turns 503 for SHUTDOWN_GRACE_MS before the server stops taking requests.
    TerminusModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ gracefulShutdownTimeoutMs: config.SHUTDOWN_GRACE_MS, errorLogStyle: 'json' }),
    }),
  ],
  controllers: [HealthController],
  providers: [DatabaseConnectionHealthIndicator, PrimaryHealthIndicator, ReplicasHealthIndicator, CacheHealthIndicator],
})
export class HealthModule {}
