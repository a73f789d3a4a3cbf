import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ArticlesModule } from './articles/articles.module';
import { CacheModule } from './cache/cache.module';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';

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
          // Health probes and scrapes every few seconds would drown the access log.
          autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
        },
      }),
    }),
    DatabaseModule.forRoot(),
    CacheModule,
    HealthModule,
    MetricsModule,
    ArticlesModule,
  ],
})
export class AppModule {}
