/**
 * The ceiling for a cached read: GET /api/articles/:slug as one Redis GET with `ioredis` and Node's `http` only.
 * `npm run bench` stores the app's own answers under <KEY_PREFIX><slug> and runs one beside each app server,
 * behind nginx. Settings: PORT, REDIS_URL, KEY_PREFIX.
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';

const ARTICLE_PATH = /^\/api\/articles\/([a-z0-9-]{1,120})$/;

const KEY_PREFIX = process.env.KEY_PREFIX ?? '';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

const server = createServer(async (request, response) => {
  if (request.url === '/health/ready') return response.writeHead(200).end();
  const slug = ARTICLE_PATH.exec(request.url ?? '')?.[1];
  if (request.method !== 'GET' || !slug) return response.writeHead(404).end();
  try {
    const article = await redis.get(`${KEY_PREFIX}${slug}`);
    if (article === null) return response.writeHead(404, { 'x-cache': 'MISS' }).end();
    response.writeHead(200, { 'content-type': 'application/json', 'x-cache': 'HIT' }).end(article);
  } catch {
    response.writeHead(503).end();
  }
});
server.keepAliveTimeout = 75_000; // above nginx's upstream keepalive_timeout, as the app's HTTP_KEEP_ALIVE_TIMEOUT_MS
server.listen(Number(process.env.PORT), '0.0.0.0');
