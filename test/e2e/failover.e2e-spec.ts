import { leader, patronictl, switchover } from '../../stack/native/stack';
import { service } from '../../stack/topology';
import { closeClient, get, operatorsUrl, request } from './support/client';
import { ConduitClient, newArticle, uncachedListPath } from './support/conduit';
import { onNode, startService, stopService, until } from './support/stack-control';

/** Signed in before any fault, and sending no consistency token: its writes are plain ones. */
let author: ConduitClient;

/**
 * Writes and reads through nginx while a fault runs: every acknowledged write's slug, the longest time between
 * two successful writes, and every read that failed.
 */
async function underLoad<T>(fault: () => Promise<T>, { until: done }: { until: () => Promise<boolean> }) {
  const outcome = { acknowledged: [] as string[], failedWrites: [] as number[], failedReads: [] as string[], longestWriteGapMs: 0 };
  let running = true;
  let lastWrite = Date.now();
  const writer = (async () => {
    while (running) {
      const response = await author.send('POST', '/api/articles', { article: newArticle() }).catch(() => undefined);
      if (response?.status === 201) {
        outcome.acknowledged.push(response.json().article.slug);
        outcome.longestWriteGapMs = Math.max(outcome.longestWriteGapMs, Date.now() - lastWrite);
        lastWrite = Date.now();
      } else {
        outcome.failedWrites.push(response?.status ?? 0);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  })();
  const reader = (async () => {
    while (running) {
      const response = await get(uncachedListPath()).catch((e: Error) => ({ status: 0, body: e.message }));
      if (response.status !== 200) outcome.failedReads.push(`${response.status} ${response.body.slice(0, 120)}`);
    }
  })();
  await new Promise((r) => setTimeout(r, 1000));
  await fault();
  await until('the fault to be absorbed', done, 60_000);
  await new Promise((r) => setTimeout(r, 1000));
  running = false;
  await Promise.all([writer, reader]);
  return outcome;
}

/** An acknowledged write whose request's last new node is `node` (the author is read first, on a replica). */
const writesGoTo = async (node: string) => {
  const response = await author.send('POST', '/api/articles', { article: newArticle() });
  return response.status === 201 && String(response.headers['x-db-node']).split(', ').at(-1) === node;
};
const missingOn = async (node: string, slugs: string[]) =>
  slugs.length - Number((await onNode<{ n: string }>(node, 'SELECT count(*) AS n FROM conduit_article WHERE slug = ANY($1)', [slugs]))[0].n);

describe('Primary loss: Patroni promotes a replica, the apps follow it', () => {
  beforeAll(async () => {
    author = await ConduitClient.registered({}, { sendsConsistencyToken: false });
  });

  afterEach(async () => {
    // Leave the cluster as the next test expects it: db-primary up, leading, replicas streaming.
    await startService('db-primary');
    await switchover('db-primary');
    await until('both replicas streaming', async () => (await Promise.all(['db-replica-1', 'db-replica-2'].map((r) => onNode(r, "SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'")))).every((rows) => rows.length === 1), 30_000);
    await until('the apps writing to db-primary', () => writesGoTo('db-primary'), 30_000);
    // Whole again from the apps' side too: every replica readmitted on both, so the next test starts clean.
    await until('every replica eligible on both app servers', async () => {
      const views = await Promise.all(
        ['app-1', 'app-2'].map(async (app) => (await request('GET', '/health/replication', { baseUrl: `http://${service(app).address}:3000` })).json()),
      );
      return views.every((v) => v.replicas.length === 2 && v.replicas.every((r: { eligible: boolean }) => r.eligible));
    }, 30_000);
  });

  afterAll(() => closeClient());

  it('should keep reads going, elect a new primary, resume writes without an app restart, and rejoin the old primary as a replica', async () => {
    const beforeFailover = await ConduitClient.registered();
    await beforeFailover.publish();

    const outcome = await underLoad(() => stopService('db-primary', true), {
      until: async () => (await leader()) !== undefined && (await leader()) !== 'db-primary' && writesGoTo((await leader())!),
    });
    const promoted = (await leader())!;

    expect(outcome.failedReads).toEqual([]);
    expect(outcome.failedWrites.every((status) => status === 503)).toBe(true); // fast, explicit, retryable
    expect(['db-replica-1', 'db-replica-2']).toContain(promoted);
    // A token from before the failover is on the old timeline: never satisfied by a replica, served by the new primary.
    const stale = await beforeFailover.send('GET', '/api/articles?limit=1');
    expect(stale.status).toBe(200);
    expect(stale.headers['x-db-route']).toBe('primary:foreign-token');

    await startService('db-primary');
    await until('db-primary back as a replica, eligible on the app servers', async () => {
      const health = (await request('GET', '/health/replication', { baseUrl: operatorsUrl() })).json();
      return health.primary.name === promoted && health.replicas.some((r: { name: string; role: string; eligible: boolean }) => r.name === 'db-primary' && r.role === 'replica' && r.eligible);
    }, 30_000);
    console.log(`failover (async): longest write gap ${outcome.longestWriteGapMs} ms, ${outcome.failedWrites.length} writes refused, ` +
      `${await missingOn(promoted, outcome.acknowledged)} of ${outcome.acknowledged.length} acknowledged writes missing on ${promoted}`);
  });

  it('should not serve a cache entry read on the timeline before a failover', async () => {
    const article = await author.publish();
    await until('the article in the cache', async () => (await get(`/api/articles/${article.slug}`)).headers['x-cache'] === 'HIT');

    // A planned switchover loses nothing, but starts a new timeline as any failover does: after one that lost
    // writes, entries of the old timeline may hold rows that no longer exist.
    await switchover('db-replica-1');
    await until('both app servers following db-replica-1', async () => {
      const views = await Promise.all(
        ['app-1', 'app-2'].map(async (app) => (await request('GET', '/health/replication', { baseUrl: `http://${service(app).address}:3000` })).json()),
      );
      return views.every((v) => v.primary.name === 'db-replica-1');
    }, 30_000);

    const afterFailover = await get(`/api/articles/${article.slug}`);

    expect(afterFailover.status).toBe(200);
    expect(afterFailover.headers['x-cache']).toBe('MISS');
  });

  it('should lose no acknowledged write in synchronous mode', async () => {
    patronictl(['edit-config', '--force', '-s', 'synchronous_mode=true']);
    try {
      await until('a synchronous standby', async () => /Sync Standby/.test(patronictl(['list'])), 30_000);

      const outcome = await underLoad(() => stopService('db-primary', true), {
        until: async () => (await leader()) !== undefined && (await leader()) !== 'db-primary' && writesGoTo((await leader())!),
      });
      const promoted = (await leader())!;

      expect(outcome.acknowledged.length).toBeGreaterThan(10);
      expect(await missingOn(promoted, outcome.acknowledged)).toBe(0);
      expect(outcome.failedReads).toEqual([]);
    } finally {
      patronictl(['edit-config', '--force', '-s', 'synchronous_mode=false']);
    }
  });
});
