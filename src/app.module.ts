import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { CacheModule } from './cache/cache.module';
import { ConduitModule } from './conduit/conduit.module';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { StatusModule } from './status/status.module';

@Module({
  imports: [
    AppConfigModule,
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.LOG_LEVEL,
          base: { instance: config.APP_INSTANCE },
          customProps: () => ({}),
          // Health probes, scrapes and the status page's polling would drown the access log.
          autoLogging: { ignore: (req) => /^\/(health|metrics|status\/topology\.json)/.test(req.url ?? '') },
        },
      }),
    }),
    DatabaseModule.forRoot(),
    CacheModule,
    HealthModule,
    MetricsModule,
    StatusModule,
    ConduitModule,
  ],
})
export class AppModule {}
