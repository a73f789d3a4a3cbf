import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig, InvalidConfigError } from './config/app-config';
import { configureHttp, requestIdOf } from './http/configure-http';

async function bootstrap(): Promise<void> {
  // Validate before anything else starts, and say which variables are wrong.
  const config = AppConfig.fromEnv(process.env);
  // Fastify rather than Express: about twice the throughput per core for small JSON responses, which is
  // what the benchmark against a bare Node server measures (see docs/benchmark.md, "Why Fastify").
  const adapter = new FastifyAdapter({
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    genReqId: requestIdOf,
    logger: false,
    // Fastify's 100 would answer a long slug (up to 120 characters) with its own 414, before any pipe or filter:
    // nginx's request-line limit (8 KiB) is the only bound on a path parameter.
    routerOptions: { maxParamLength: 8192 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  await configureHttp(app);
  await app.listen({ port: config.PORT, host: '0.0.0.0' });
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof InvalidConfigError ? error.message : error);
  process.exit(1);
});
