import fastifyCookie from '@fastify/cookie';
import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppConfig } from '../config/app-config';
import { TOKEN_SECURITY } from '../conduit/auth/authenticated.decorator';
import { CONDUIT_PATH } from '../conduit/conduit-path';
import { ConsistencyTokens } from '../database/consistency-tokens';
import { DatabaseConnection } from '../database/database-connection';
import { Sticking } from '../database/sticking';
import { HttpMetrics } from '../metrics/http-metrics';
import { RequestContext } from '../request-context/request-context';
import { RecentReads } from '../status/recent-reads';
import { checkJsonBody } from './json-body';
import { ProblemDetailsFilter } from './problem-details.filter';
import { TokenCookie } from './token-cookie';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const CONSISTENCY_TOKEN_HEADER = 'x-consistency-token';
export const CONSISTENCY_TOKEN_COOKIE = 'consistency_token';
/**
 * Sent by nginx (nginx/conf.d/api.conf) on an anonymous, token-less GET it may store and give to other clients
 * for a second. Such an answer carries no consistency token (unless the request wrote): a token is one client's
 * position, and its cookie would make every browser that got it skip the edge cache from then on. See
 * docs/edge-cache.md.
 */
export const EDGE_CACHEABLE_HEADER = 'x-edge-cacheable';

/** The request id: the caller's X-Request-Id (nginx always sends one) when it is sane, else a new UUID. */
export function requestIdOf(raw: IncomingMessage): string {
  const given = raw.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  // pino-http reuses req.id, so log lines and the problem+json body carry the same id.
  (raw as IncomingMessage & { id?: string }).id = id;
  return id;
}

declare module 'fastify' {
  interface FastifyRequest {
    requestContext: RequestContext;
  }
}

/**
 * Fastify's own JSON parser (prototype-poisoning safe), the only one, with two changes. An empty body is no body: RealWorld
 * clients, the Postman suite among them, send Content-Type: application/json on bodiless DELETEs and POST
 * …/favorite too. And checkJsonBody refuses NUL characters and deep nesting before anything walks the body.
 */
export function useJsonBodies(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  // JSON is the only body the API takes: Fastify's text/plain parser goes too (main.ts leaves out Nest's form
  // parser), so any other media type is a 415 before a handler could see its fields.
  fastify.removeAllContentTypeParsers();
  const { bodyLimit, onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parseJson = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  app.useBodyParser('application/json', { bodyLimit }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    parseJson(request as FastifyRequest, body.toString('utf8'), (error, parsed) => {
      if (error) return done(error, undefined);
      try {
        checkJsonBody(parsed);
        done(null, parsed);
      } catch (refused) {
        done(refused as Error, undefined);
      }
    });
  });
}

/**
 * Nest's ValidationPipe, except that a path parameter reaches its own pipe (ParseIdPipe, ParseSlugPipe, …) as the
 * client spelled it. With `transform`, Nest would first make `@Param('id') id: number` a Number(text), which takes
 * 0x10, 01, +1, ' 1' and 1e0 for 16 or 1: the pipe behind it could no longer tell, and DELETE acted on them.
 */
class RawPathParamsValidationPipe extends ValidationPipe {
  protected transformPrimitive(value: unknown, metadata: ArgumentMetadata): unknown {
    return metadata.type === 'param' ? value : super.transformPrimitive(value, metadata);
  }
}

/** Every DTO validated, unknown fields refused (400; 422 under the Conduit API, see ProblemDetailsFilter). */
export function validationPipe(): ValidationPipe {
  return new RawPathParamsValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
  });
}

/**
 * Everything main.ts and the tests both need: the request context, response headers, validation, errors,
 * and the OpenAPI document.
 */
export async function configureHttp(app: NestFastifyApplication): Promise<void> {
  const config = app.get(AppConfig);
  const tokens = app.get(ConsistencyTokens);
  const sticking = app.get(Sticking);
  const metrics = app.get(HttpMetrics);
  const recentReads = app.get(RecentReads);
  const fastify = app.getHttpAdapter().getInstance();
  await app.register(fastifyCookie);
  const tokenCookie = new TokenCookie(CONSISTENCY_TOKEN_COOKIE, tokens.ttlSeconds, (name, value, options) => fastify.serializeCookie(name, value, options));

  useJsonBodies(app);

  fastify.decorateRequest('requestContext', undefined as unknown as RequestContext);
  fastify.addHook('onRequest', (request: FastifyRequest, reply, done) => {
    const context = (request.requestContext = new RequestContext(String(request.id)));
    void reply.header('X-Request-Id', request.id).header('X-App-Instance', config.APP_INSTANCE);
    const header = request.headers[CONSISTENCY_TOKEN_HEADER];
    tokens.accept((typeof header === 'string' ? header : undefined) ?? request.cookies?.[CONSISTENCY_TOKEN_COOKIE], context);
    RequestContext.run(context, done);
  });
  // Body parsing runs on stream events, which lose the async context: enter it again before the handler.
  fastify.addHook('preValidation', (request: FastifyRequest, _reply, done) => RequestContext.run(request.requestContext, done));
  fastify.addHook('onSend', async (request: FastifyRequest, reply) => {
    const context = request.requestContext;
    if (!context) return;
    if (config.exposeDbNode && context.dbNodes.length) {
      void reply.header('X-DB-Node', context.dbNodes.join(', ')).header('X-DB-Route', context.routes.join(', '));
    }
    if (context.cacheStatus) void reply.header('X-Cache', context.cacheStatus);
    // A GET that wrote keeps its token (and so is never stored).
    if (request.headers[EDGE_CACHEABLE_HEADER] === '1' && !context.session.wroteData) return;
    const token = await tokens.issue(context);
    await sticking.remember(context, token);
    if (token) {
      // Secure when nginx (a trusted proxy, see main.ts) says the client came over https.
      void reply.header('X-Consistency-Token', token).header('Set-Cookie', tokenCookie.line(token, request.protocol === 'https'));
    }
  });

  fastify.addHook('onResponse', (request: FastifyRequest, reply, done) => {
    const finished = { method: request.method, route: request.routeOptions.url, statusCode: reply.statusCode, durationSeconds: reply.elapsedTime / 1000 };
    metrics.observe(finished, request.requestContext);
    recentReads.record(request.requestContext);
    done();
  });

  const database = app.get(DatabaseConnection);
  app.useGlobalFilters(new ProblemDetailsFilter((error) => database.explain(error), CONDUIT_PATH));
  app.useGlobalPipes(validationPipe());
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('nest-replica-starter')
      .setDescription('Example API: reads served by replicas, writes by the primary. Errors are RFC 9457 problem+json.')
      .setVersion('0.1.0')
      .addApiKey(
        { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Conduit (/api): `Token <jwt>`, the token of POST /api/users or /api/users/login.' },
        TOKEN_SECURITY,
      )
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
