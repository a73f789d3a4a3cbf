import { Redis } from 'ioredis';
import { request } from '../stack/native/http-client';
import { withSuperuser } from '../stack/native/postgres';
import { leader } from '../stack/native/stack';
import { waitFor } from '../stack/native/shell';
import { service } from '../stack/topology';

/** Conduit articles `bench-article-1`…`bench-article-ARTICLES` exist during a run: the uncached walk needs that many slugs. */
export const ARTICLES = 200_000;
export const BENCH_SLUG_PREFIX = 'bench-article-';
export const benchSlug = (n: number) => `${BENCH_SLUG_PREFIX}${n}`;
/** Where the Redis ceiling finds its articles (its KEY_PREFIX), by slug. */
export const CEILING_KEY_PREFIX = 'bench:article:';

/** The bench's users: they wrote the bench articles, and each wrk thread plays one of them, signed in. */
export const BENCH_USERS = 10;
const PASSWORD = 'bench-user-password';
const TAGS = ['bench', 'replication', 'postgresql', 'cache'];
const BODY = `repeat('lorem ipsum ', 25)`; // the same 300 bytes as the POSTs in bench/wrk

export interface BenchUser {
  username: string;
  /** `Authorization: Token <accessToken>`. */
  accessToken: string;
}

const usernameOf = (n: number) => `bench_user_${n}`;

/**
 * Signs the bench's users in through nginx, as any Conduit client does: each registers on the first run, and logs
 * in on the next ones.
 */
export async function signInBenchUsers(count = BENCH_USERS): Promise<BenchUser[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const username = usernameOf(i + 1);
      const user = { username, email: `${username}@example.test`, password: PASSWORD };
      const registered = await request('POST', '/api/users', { body: { user } });
      const answer = registered.status === 201 ? registered : await request('POST', '/api/users/login', { body: { user: { email: user.email, password: PASSWORD } } });
      if (answer.status !== 201 && answer.status !== 200) throw new Error(`bench: signing in ${username} answered ${answer.status}: ${answer.body}`);
      return { username, accessToken: answer.json().user.token as string };
    }),
  );
}

/**
 * Makes the bench articles exist on the primary, written in turn by the bench's users, each with two of the
 * bench tags: rows shaped as the app writes them. Fills any gap (ON CONFLICT on the slug), and waits until
 * every replica has replayed them. Returns how many it inserted.
 */
export async function seedArticles(count: number, nodes: readonly string[], authors: readonly BenchUser[]): Promise<number> {
  // Roles move on failover: write on whichever node leads now, wait for the others.
  const primary = await currentPrimary();
  const replicas = nodes.filter((name) => name !== primary);
  const { inserted, lsn } = await withSuperuser(
    primary,
    async (db) => {
      await db.query('INSERT INTO conduit_tag (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING', [TAGS]);
      const result = await db.query(
        `WITH author AS (
           SELECT array_agg(id ORDER BY username) AS ids FROM conduit_user WHERE username = ANY($3::text[])
         ), inserted AS (
           INSERT INTO conduit_article (slug, title, description, body, author_id)
           SELECT $2::text || g, 'Bench article ' || g, 'Bench article ' || g || ', in one line.', ${BODY}, author.ids[1 + g % cardinality(author.ids)]
           FROM generate_series(1, $1::int) g, author
           ON CONFLICT (slug) DO NOTHING
           RETURNING id
         ), tagged AS (
           INSERT INTO conduit_article_tag (article_id, tag_id)
           SELECT inserted.id, tag.id FROM inserted JOIN conduit_tag tag ON tag.name = ANY($4::text[])
         )
         SELECT count(*)::int AS n FROM inserted`,
        [count, BENCH_SLUG_PREFIX, authors.map((a) => a.username), TAGS.slice(0, 2)],
      );
      const { rows } = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      return { inserted: result.rows[0].n as number, lsn: rows[0].lsn };
    },
    'app',
  );
  await Promise.all(
    replicas.map((name) =>
      waitFor(
        `${name} to replay the bench articles`,
        () => withSuperuser(name, async (db) => (await db.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn])).rows[0].done),
        { timeoutMs: 120_000, intervalMs: 500 },
      ),
    ),
  );
  return inserted;
}

/**
 * Stores the app's own answers for `bench-article-1`…`bench-article-count` in Redis for the Redis ceiling, asked
 * through nginx as an anonymous reader: the ceiling serves exactly what the app serves.
 */
export async function fillCeilingCache(count: number): Promise<void> {
  const { address, port } = service('redis');
  const redis = new Redis({ host: address, port: port!, lazyConnect: true });
  try {
    await redis.connect();
    for (let n = 1; n <= count; n++) {
      const response = await request('GET', `/api/articles/${benchSlug(n)}`);
      if (response.status !== 200) throw new Error(`bench: GET /api/articles/${benchSlug(n)} answered ${response.status}`);
      await redis.set(`${CEILING_KEY_PREFIX}${benchSlug(n)}`, response.body);
    }
  } finally {
    redis.disconnect();
  }
}

async function currentPrimary(): Promise<string> {
  const primary = await leader();
  if (!primary) throw new Error('no primary: the cluster has no leader');
  return primary;
}
