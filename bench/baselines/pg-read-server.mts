/**
 * The ceiling for an uncached read: GET /api/articles/:slug as one SELECT on a replica (the article by its
 * unique slug, its author and its tags), answered in the app's shape for an anonymous reader, with `pg` and Node's
 * `http` only (no framework, no ORM). `npm run bench` runs one beside each app server, behind nginx.
 * Settings: PORT, and pg's own PGHOST, PGUSER, PGPASSWORD, PGDATABASE.
 */
import { createServer } from 'node:http';
import pg from 'pg';

const ARTICLE_PATH = /^\/api\/articles\/([a-z0-9-]{1,120})$/;
const SELECT_ARTICLE = `
  SELECT a.slug, a.title, a.description, a.body, a.created_at, a.updated_at, a.favorites_count,
         u.username, u.bio, u.image,
         array(SELECT t.name FROM conduit_article_tag at JOIN conduit_tag t ON t.id = at.tag_id WHERE at.article_id = a.id ORDER BY t.name) AS tags
  FROM conduit_article a JOIN conduit_user u ON u.id = a.author_id
  WHERE a.slug = $1`;

interface Row {
  slug: string;
  title: string;
  description: string;
  body: string;
  created_at: Date;
  updated_at: Date;
  favorites_count: number;
  username: string;
  bio: string;
  image: string;
  tags: string[];
}

const answer = (row: Row) => ({
  article: {
    slug: row.slug,
    title: row.title,
    description: row.description,
    body: row.body,
    tagList: row.tags,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    favoritesCount: row.favorites_count,
    favorited: false,
    author: { username: row.username, bio: row.bio, image: row.image, following: false },
  },
});

const pool = new pg.Pool({ max: 10 }); // the app's DB_POOL_MAX_REPLICA
const { rows } = await pool.query<{ name: string }>("SELECT coalesce(nullif(current_setting('node.name', true), ''), current_setting('cluster_name')) AS name");
const node = rows[0].name;

const server = createServer(async (request, response) => {
  if (request.url === '/health/ready') return response.writeHead(200).end();
  const slug = ARTICLE_PATH.exec(request.url ?? '')?.[1];
  if (request.method !== 'GET' || !slug) return response.writeHead(404).end();
  try {
    const { rows: [article] } = await pool.query<Row>(SELECT_ARTICLE, [slug]);
    response.writeHead(article ? 200 : 404, { 'content-type': 'application/json', 'x-db-node': node }).end(JSON.stringify(article ? answer(article) : null));
  } catch {
    response.writeHead(503).end();
  }
});
server.keepAliveTimeout = 75_000; // above nginx's upstream keepalive_timeout, as the app's HTTP_KEEP_ALIVE_TIMEOUT_MS
server.listen(Number(process.env.PORT), '0.0.0.0');
