import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig, InvalidConfigError } from './config/app-config';
import { CONDUIT_PATH } from './conduit/conduit-path';
import { configureHttp, requestIdOf } from './http/configure-http';
import { sendFrameworkError } from './http/problem-details.filter';

/**
 * Where nginx runs: the stack's bridge, Docker's networks, this machine (as nginx/conf.d/api.conf's allow list).
 * Only from there are X-Forwarded-Proto and X-Forwarded-For believed (the consistency cookie's Secure flag).
 */
const TRUSTED_PROXIES = ['127.0.0.1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

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
    trustProxy: TRUSTED_PROXIES,
    // The router's own refusals (a malformed percent-encoding, a parameter over maxParamLength) come before any
    // hook or filter: problem+json with the request id here too, without echoing the URL.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => sendFrameworkError(error, request, reply, CONDUIT_PATH),
  });
  // bodyParser: false: no form (urlencoded) parser. JSON is the only body the API takes (useJsonBodies); anything
  // else is a 415, where Nest's default parser would hand a form's fields to the validation.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  await configureHttp(app);
  await app.listen({ port: config.PORT, host: '0.0.0.0' });
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof InvalidConfigError ? error.message : error);
  process.exit(1);
});
