/**
 * The ceiling for an uncached read: GET /articles/:id as one primary-key SELECT on a replica, with `pg` and
 * Node's `http` only (no framework, no ORM). `npm run bench` runs one beside each app server, behind nginx.
 * Settings: PORT, and pg's own PGHOST, PGUSER, PGPASSWORD, PGDATABASE.
 */
import { createServer } from 'node:http';
import pg from 'pg';

const ARTICLE_PATH = /^\/articles\/(\d+)$/;
const SELECT_ARTICLE = 'SELECT id, title, body, created_at AS "createdAt", updated_at AS "updatedAt" FROM article WHERE id = $1';

const pool = new pg.Pool({ max: 10 }); // the app's DB_POOL_MAX_REPLICA
const { rows } = await pool.query<{ name: string }>("SELECT coalesce(nullif(current_setting('node.name', true), ''), current_setting('cluster_name')) AS name");
const node = rows[0].name;

const server = createServer(async (request, response) => {
  if (request.url === '/health/ready') return response.writeHead(200).end();
  const id = ARTICLE_PATH.exec(request.url ?? '')?.[1];
  if (request.method !== 'GET' || !id) return response.writeHead(404).end();
  try {
    const { rows: [article] } = await pool.query(SELECT_ARTICLE, [id]);
    response.writeHead(article ? 200 : 404, { 'content-type': 'application/json', 'x-db-node': node }).end(JSON.stringify(article ?? null));
  } catch {
    response.writeHead(503).end();
  }
});
server.keepAliveTimeout = 75_000; // above nginx's upstream keepalive_timeout, as the app's HTTP_KEEP_ALIVE_TIMEOUT_MS
server.listen(Number(process.env.PORT), '0.0.0.0');
