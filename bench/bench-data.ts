import { Redis } from 'ioredis';
import { withSuperuser } from '../stack/native/postgres';
import { leader } from '../stack/native/stack';
import { waitFor } from '../stack/native/shell';
import { service } from '../stack/topology';

/** Articles 1..ARTICLES exist during a run: the id walks of the uncached scenarios need that many. */
export const ARTICLES = 200_000;
/** Where the Redis ceiling finds its articles (its KEY_PREFIX). */
export const CEILING_KEY_PREFIX = 'bench:article:';

const BODY = `repeat('lorem ipsum ', 25)`; // the same 300 bytes as the POSTs in bench/wrk

/**
 * Makes ids 1..count exist on the primary, filling any gap (ids are an identity column, hence OVERRIDING
 * SYSTEM VALUE), moves the identity past them so POST /articles keeps working, and waits until every replica
 * has replayed them. Returns how many it inserted.
 */
export async function seedArticles(count: number, nodes: readonly string[]): Promise<number> {
  // Roles move on failover: write on whichever node leads now, wait for the others.
  const primary = await currentPrimary();
  const replicas = nodes.filter((name) => name !== primary);
  const { inserted, lsn } = await withSuperuser(
    primary,
    async (db) => {
      const result = await db.query(
        `INSERT INTO article (id, title, body) OVERRIDING SYSTEM VALUE
         SELECT g, 'Bench article ' || g, ${BODY} FROM generate_series(1, $1::int) g
         ON CONFLICT (id) DO NOTHING`,
        [count],
      );
      await db.query(`SELECT setval(pg_get_serial_sequence('article', 'id'), (SELECT max(id) FROM article))`);
      const { rows } = await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      return { inserted: result.rowCount ?? 0, lsn: rows[0].lsn };
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

/** Stores articles 1..count in Redis for the Redis ceiling, as JSON shaped like the app's responses. */
export async function fillCeilingCache(count: number): Promise<void> {
  const rows = await withSuperuser(
    await currentPrimary(),
    async (db) =>
      (await db.query('SELECT id, title, body, created_at AS "createdAt", updated_at AS "updatedAt" FROM article WHERE id <= $1', [count])).rows,
    'app',
  );
  const { address, port } = service('redis');
  const redis = new Redis({ host: address, port: port!, lazyConnect: true });
  try {
    await redis.connect();
    const pipeline = redis.pipeline();
    for (const row of rows) pipeline.set(`${CEILING_KEY_PREFIX}${row.id}`, JSON.stringify(row));
    await pipeline.exec();
  } finally {
    redis.disconnect();
  }
}

async function currentPrimary(): Promise<string> {
  const primary = await leader();
  if (!primary) throw new Error('no primary: the cluster has no leader');
  return primary;
}
