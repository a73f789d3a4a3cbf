import { Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';

/** Provides the validated configuration everywhere, parsed once at boot. */
@Global()
@Module({
  providers: [{ provide: AppConfig, useFactory: () => AppConfig.fromEnv(process.env) }],
  exports: [AppConfig],
})
export class AppConfigModule {}
