import { ConduitArticle } from '../../src/conduit/articles/conduit-article.entity';
import { leader } from '../../stack/native/stack';
import { service } from '../../stack/topology';
import { get, operatorsUrl, request } from './support/client';
import { uncachedListPath } from './support/conduit';
import { expectProblem } from './support/problem';
import { RoutedDataSource } from './support/routed-data-source';
import { onNode, startService, stopService, until } from './support/stack-control';
import { TestApp } from './support/test-app';

/** What /health/replication says of one node. */
interface NodeHealth {
  name: string;
  purpose: 'oltp' | 'analytics';
  lagBytes: number | null;
  lagSeconds: number | null;
  eligible: boolean;
}
interface Replication {
  replicas: NodeHealth[];
  analytics: NodeHealth[];
}

/** Queries db-analytics has cancelled for a recovery conflict, of any kind, since it started. */
const cancelledByConflicts = async (): Promise<number> =>
  (await onNode<{ n: number }>('db-analytics', "SELECT (confl_tablespace + confl_lock + confl_snapshot + confl_bufferpin + confl_deadlock)::int AS n FROM pg_stat_database_conflicts WHERE datname = 'app'"))[0].n;

const replication = async (): Promise<Replication> => (await request('GET', '/health/replication', { baseUrl: operatorsUrl() })).json() as Replication;
const report = (months = 3) => request('GET', `/reports/monthly?months=${months}`, { baseUrl: operatorsUrl() });

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

/**
 * A loop of what runs beside a report: anonymous OLTP reads through nginx on the operators' port, where the edge
 * cache stores nothing, so each reaches an app and a replica (their latency and who served them), /health/replication every half second, and on the primary updates and VACUUM, whose cleanup conflicts
 * with any query on a standby that started before it.
 */
class Background {
  readonly reads: { ms: number; status: number; node: string }[] = [];
  readonly polls: Replication[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(primary: string) {
    this.loops = [this.read(), this.poll(), this.churn(primary)];
  }

  private async read(): Promise<void> {
    while (this.running) {
      const started = performance.now();
      const response = await request('GET', uncachedListPath(), { baseUrl: operatorsUrl() });
      this.reads.push({ ms: performance.now() - started, status: response.status, node: String(response.headers['x-db-node']) });
    }
  }

  private async poll(): Promise<void> {
    while (this.running) {
      this.polls.push(await replication());
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  private async churn(primary: string): Promise<void> {
    while (this.running) {
      await onNode(primary, 'UPDATE analytics_churn SET v = v + 1');
      await onNode(primary, 'VACUUM analytics_churn');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** OLTP read latency and the replicas' worst lag, for the note (never asserted: speed lives in `npm run bench`). */
  figures() {
    const oltp = this.polls.flatMap((p) => p.replicas);
    return {
      reads: this.reads.length,
      readP50Ms: Math.round(percentile(this.reads.map((r) => r.ms), 50) * 10) / 10,
      readP95Ms: Math.round(percentile(this.reads.map((r) => r.ms), 95) * 10) / 10,
      oltpMaxLagBytes: Math.max(0, ...oltp.map((r) => r.lagBytes ?? 0)),
      analyticsMaxLagSeconds: Math.max(0, ...this.polls.flatMap((p) => p.analytics).map((r) => r.lagSeconds ?? 0)),
    };
  }
}

describe('The analytics replica (db-analytics): reports off the read rotation', () => {
  // After another suite's failover, db-analytics follows the new primary's timeline a moment later (until then it is
  // excluded, and reports fall back): start from a whole stack, as every app server sees it.
  beforeAll(async () => {
    const appUrl = (app: string) => `http://${service(app).address}:3000`;
    await until(
      'db-analytics eligible on both app servers',
      async () => {
        const views = await Promise.all(['app-1', 'app-2'].map(async (app) => (await request('GET', '/health/replication', { baseUrl: appUrl(app) })).json() as Replication));
        return views.every((view) => view.analytics.length === 1 && view.analytics[0].eligible);
      },
      60_000,
    );
  });

  describe('GET /reports/monthly, on the operators’ port', () => {
    it('should read the report on db-analytics, and the public name should not serve it', async () => {
      const response = await report(3);

      expect(response.status).toBe(200);
      expect(response.headers).toMatchObject({ 'x-db-node': 'db-analytics', 'x-db-route': 'replica:analytics' });
      expect(response.json().months).toHaveLength(3);
      expect((await get('/reports/monthly')).status).toBe(404);
    });

    it('should fall back to a replica of the rotation while db-analytics is down, never to the primary', async () => {
      try {
        await stopService('db-analytics');
        const fallback = await until('a report served by a replica', async () => {
          const response = await report(1);
          return response.status === 200 && response;
        });

        expect(fallback.headers['x-db-node']).toMatch(/^db-replica-[12]$/);
        expect(fallback.headers['x-db-route']).toMatch(/^replica:analytics-fallback(, replica:analytics-fallback)*$/);
      } finally {
        await startService('db-analytics');
      }
      await until('db-analytics back in the reports', async () => (await report(1)).headers['x-db-node'] === 'db-analytics', 30_000);
    });

    it('should answer 503 with Retry-After, as problem+json, when neither an analytics replica nor a replica can take it', async () => {
      const app = await TestApp.start({ DB_REPLICA_HOSTS: '', DB_ANALYTICS_HOSTS: '127.0.0.1:1' });
      try {
        const response = await app.get('/reports/monthly');

        expectProblem(response, 503);
        expect(response.headers['retry-after']).toBe('1');
        expect(response.json().code).toBe('no_replica_available');
      } finally {
        await app.stop();
      }
    });
  });

  // Issue 11, part 1: a report longer than 30 s (PostgreSQL's default max_standby_streaming_delay, after which a
  // standby cancels a query its replay conflicts with) runs while the primary updates and vacuums.
  describe('a report of over 30 s while the primary writes and vacuums', () => {
    let routed: RoutedDataSource;
    let primary: string;

    beforeAll(async () => {
      primary = (await leader()) ?? 'db-primary';
      await onNode(primary, 'CREATE TABLE IF NOT EXISTS analytics_churn (id int PRIMARY KEY, v int NOT NULL)');
      await onNode(primary, 'INSERT INTO analytics_churn SELECT g, 0 FROM generate_series(1, 2000) g ON CONFLICT DO NOTHING');
      routed = await RoutedDataSource.start();
    });

    afterAll(async () => {
      await routed?.close();
    });

    it('should complete on db-analytics, its replay waiting for it, the replicas of the rotation unaffected and never reading there', async () => {
      const conflictsBefore = await cancelledByConflicts();
      const baseline = new Background(primary);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      await baseline.stop();

      const during = new Background(primary);
      const started = performance.now();
      let seconds: number;
      let done;
      try {
        done = await routed.request(
          () =>
            routed.dataSource
              .getRepository(ConduitArticle)
              .createQueryBuilder('article')
              .select('count(*)', 'articles')
              .addSelect('pg_sleep(32)::text', 'slept')
              .getRawOne(),
          (context) => context.session.applyRouteConsistency({ kind: 'analytics' }),
        );
        seconds = (performance.now() - started) / 1000;
      } finally {
        await during.stop();
      }
      const figures = { baseline: baseline.figures(), duringReport: during.figures(), reportSeconds: Math.round(seconds * 10) / 10 };
      console.log(`analytics report beside OLTP reads and primary churn: ${JSON.stringify(figures)}`);

      // The report ran on the analytics replica, under its long statement timeout (the replicas' 5 s would cancel it).
      expect(done).toMatchObject({ nodes: ['db-analytics'], routes: ['replica:analytics'] });
      expect(seconds).toBeGreaterThanOrEqual(32);
      // Its replay waited for it (a recovery conflict did happen: db-analytics fell behind by most of the report's
      // length, where the churn alone keeps it well under a second), it cancelled nothing, and it was never excluded.
      expect(figures.duringReport.analyticsMaxLagSeconds).toBeGreaterThan(20);
      expect(await cancelledByConflicts()).toBe(conflictsBefore);
      expect(during.polls.flatMap((p) => p.analytics).every((node) => node.eligible)).toBe(true);
      // The rotation: every read answered, none by db-analytics, no replica excluded before or during.
      for (const phase of [baseline, during]) {
        expect(phase.reads.filter((r) => r.status !== 200)).toEqual([]);
        expect(phase.reads.filter((r) => !/^db-replica-\d$/.test(r.node))).toEqual([]);
        expect(phase.polls.flatMap((p) => p.replicas).filter((r) => !r.eligible)).toEqual([]);
      }
      await until('db-analytics caught up once the report ended', async () => (await replication()).analytics.every((node) => node.lagBytes === 0), 30_000);
    });
  });
});
