import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../stack/native/paths';
import { service } from '../../stack/topology';
import { CONDUIT_ENTITIES } from '../../src/conduit/conduit-entities';
import { AppConfig } from '../../src/config/app-config';
import { migrate } from '../../src/database/migrate';
import { MIGRATIONS } from '../../src/database/migrations';
import { primaryDataSource } from '../../src/database/primary-locator';
import { articleReplicated, ConduitClient, conduitRows, expectConduitProblem, newArticle, uncachedListPath } from './support/conduit';
import { expectProblem } from './support/problem';
import { caughtUp } from './support/replica-delay';
import { loopFor, onNode, pauseReplay, resumeReplay, startService, stopService, until, withServicesStopped } from './support/stack-control';
import { RoutedDataSource } from './support/routed-data-source';
import { TestApp } from './support/test-app';

const REPLICA = /^db-replica-[12]$/;

describe('The app on real streaming replication', () => {
  let app: TestApp;
  /** A user signed in on the test app (every request straight to it, no nginx), sending back its token. */
  let author: ConduitClient;

  beforeAll(async () => {
    app = await TestApp.start();
    author = await ConduitClient.registered({}, { baseUrl: app.baseUrl });
    await caughtUp(); // the author on both replicas: its requests' first read (the user) is a replica's
  });

  afterAll(async () => {
    await app?.stop();
  });

  describe('POST /api/articles', () => {
    it('should write on the primary and the row should reach both replicas', async () => {
      const created = await author.send('POST', '/api/articles', { article: newArticle({ title: 'replicated' }) });

      expect(created.status).toBe(201);
      // The signed-in user is read on a replica; the write, and the read of what it wrote, on the primary.
      expect(created.headers['x-db-route']).toMatch(/^replica(:token-wait)?, primary:write, primary:after-write$/);
      expect(created.headers['x-db-node']).toMatch(/^db-replica-[12], db-primary$/);
      const { article } = created.json();
      expect(article).toMatchObject({ slug: expect.stringMatching(/^replicated-[0-9a-z]{8}$/), title: 'replicated', createdAt: expect.any(String), updatedAt: expect.any(String) });
      await articleReplicated(article.slug);
    });
  });

  describe('GET /api/articles', () => {
    it('should be served by the replicas, in turn', async () => {
      await articleReplicated((await author.publish()).slug);

      const nodes = [];
      for (let i = 0; i < 20; i++) {
        const response = await app.get(uncachedListPath());
        expect(response.status).toBe(200);
        nodes.push(response.headers['x-db-node']);
      }

      expect(nodes.every((n) => REPLICA.test(String(n)))).toBe(true);
      expect(new Set(nodes)).toEqual(new Set(['db-replica-1', 'db-replica-2']));
    });

    it('should not fail a single GET while a replica is stopped mid-run', async () => {
      try {
        const stopping = new Promise((r) => setTimeout(r, 300)).then(() => stopService('db-replica-1'));
        const run = await loopFor(2500, async () => {
          const response = await app.get(uncachedListPath());
          if (response.status !== 200) throw new Error(`GET answered ${response.status}: ${response.body}`);
        });
        await stopping;

        expect(run.failures).toEqual([]);
        expect(run.count).toBeGreaterThan(20);
      } finally {
        await startService('db-replica-1');
      }
    });
  });

  describe('start-up with replicas down', () => {
    it('should start and serve from the primary, then use the replicas once they are back', async () => {
      let late: TestApp | undefined;
      await Promise.all([stopService('db-replica-1'), stopService('db-replica-2')]);
      try {
        late = await TestApp.start();

        const read = await late.get(uncachedListPath());
        expect(read.status).toBe(200);
        expect(read.headers['x-db-node']).toBe('db-primary');
        const ready = await late.get('/health/ready');
        expect(ready.status).toBe(200);
        expect(ready.json().details.replicas.status).toBe('degraded');
      } finally {
        await Promise.all([startService('db-replica-1'), startService('db-replica-2')]);
      }
      try {
        await until('reads on a replica again', async () => REPLICA.test(String((await late!.get(uncachedListPath())).headers['x-db-node'])));
      } finally {
        await late?.stop();
      }
    });
  });

  describe('GET /health/replication', () => {
    it('should show lag in bytes on a replica whose replay is paused', async () => {
      await pauseReplay('db-replica-1');
      try {
        for (let i = 0; i < 3; i++) await author.publish();

        const lagging = await until('lag on db-replica-1', async () => {
          const replica = (await app.get('/health/replication')).json().replicas.find((r: { name: string }) => r.name === 'db-replica-1');
          return replica.lagBytes > 0 && replica;
        });

        expect(lagging).toMatchObject({ reachable: true, inRecovery: true, replayPaused: true, lagBytes: expect.any(Number) });
        expect(lagging.lagSeconds).toBeGreaterThanOrEqual(0);
      } finally {
        await resumeReplay('db-replica-1');
      }
    });

    it('should report the primary and every replica by name with their LSNs', async () => {
      const health = (await app.get('/health/replication')).json();

      expect(health.positions).toEqual({ dialect: 'postgres', counts: 'wal-bytes' });
      expect(health.primary).toMatchObject({ name: 'db-primary', reachable: true, currentLsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/), timeline: expect.any(Number) });
      expect(health.replicas.map((r: { name: string }) => r.name).sort()).toEqual(['db-replica-1', 'db-replica-2']);
      for (const replica of health.replicas) {
        expect(replica).toMatchObject({ replayLsn: expect.any(String), lagBytes: expect.any(Number), lagSeconds: expect.any(Number), lastCheckedAt: expect.any(String) });
      }
    });
  });

  describe('with Redis stopped', () => {
    it('should still answer 2xx from the database and stay ready, the cache degraded', async () => {
      const { slug } = await author.publish();
      await articleReplicated(slug);
      // Both nodes, the replica first: with the replica up, the Sentinels would promote it (redis-failover's test).
      await withServicesStopped(['redis-replica', 'redis'], async () => {
        const read = await app.get(`/api/articles/${slug}`);
        const written = await author.send('POST', '/api/articles', { article: newArticle() });
        const ready = await app.get('/health/ready');

        expect(read.status).toBe(200);
        expect(read.headers['x-cache']).toBe('MISS');
        expect(written.status).toBe(201);
        expect(ready.status).toBe(200);
        expect(ready.json().details.cache.status).toBe('degraded');
      });
    });
  });

  describe('bad input', () => {
    const tooLong = (n: number) => 'x'.repeat(n);
    const article = (fields: Record<string, unknown>) => ({ article: { ...newArticle(), ...fields } });
    const missing = 'no-such-article-00000000';
    type Case = [what: string, method: string, path: string, body: unknown, status: number, headers?: Record<string, string>];
    const cases: Case[] = [
      ['malformed JSON', 'POST', '/api/articles', '{"article": {"title": "x", ', 422],
      ['a wrong type', 'POST', '/api/articles', article({ title: 5 }), 422],
      ['an unknown field', 'POST', '/api/articles', article({ admin: true }), 422],
      ['a missing field', 'POST', '/api/articles', { article: { description: 'd', body: 'b' } }, 422],
      ['an empty title', 'POST', '/api/articles', article({ title: '' }), 422],
      ['a 201-character title', 'POST', '/api/articles', article({ title: tooLong(201) }), 422],
      ['a body over 100 000 characters', 'POST', '/api/articles', article({ body: tooLong(100_001) }), 422],
      ['a body over the 1 MiB limit', 'POST', '/api/articles', article({ body: tooLong(1_100_000) }), 413],
      ['a JSON array', 'POST', '/api/articles', [article({})], 422],
      ['a JSON string', 'POST', '/api/articles', '"article"', 422],
      ['a media type the API does not take', 'POST', '/api/articles', '<article/>', 415, { 'content-type': 'application/xml' }],
      ['a slug no article can have', 'GET', '/api/articles/Not_A_Slug', undefined, 404],
      ['a comment id that is no number', 'DELETE', `/api/articles/${missing}/comments/abc`, undefined, 422],
      ['comment id zero', 'DELETE', `/api/articles/${missing}/comments/0`, undefined, 422],
      ['a comment id beyond the column range', 'DELETE', `/api/articles/${missing}/comments/99999999999`, undefined, 422],
      ['limit zero', 'GET', '/api/articles?limit=0', undefined, 422],
      ['limit over the cap', 'GET', '/api/articles?limit=1000', undefined, 422],
      ['a malformed offset', 'GET', '/api/articles?offset=abc', undefined, 422],
      ['an unknown query parameter', 'GET', '/api/articles?sort=title', undefined, 422],
      ['an empty update', 'PUT', `/api/articles/${missing}`, { article: {} }, 422],
      ['an update with a wrong type', 'PUT', `/api/articles/${missing}`, { article: { title: ['x'] } }, 422],
      ['a missing article', 'GET', `/api/articles/${missing}`, undefined, 404],
      ['an update of a missing article', 'PUT', `/api/articles/${missing}`, { article: { title: 'x' } }, 404],
      ['a delete of a missing article', 'DELETE', `/api/articles/${missing}`, undefined, 404],
    ];

    const table = cases.map(([what, method, path, body, status, headers]) => ({ what, method, path, body, status, headers }));

    it.each(table)('should answer $what with a $status problem+json and write nothing', async ({ method, path, body, status, headers }) => {
      const before = await conduitRows();

      const response = await author.send(method, path, body, headers);

      expectConduitProblem(response, status);
      expect(await conduitRows()).toEqual(before);
    });

    it('should answer an unknown route outside /api with a 404 problem+json and write nothing', async () => {
      const before = await conduitRows();

      const response = await app.get('/nope');

      expectProblem(response, 404);
      expect(await conduitRows()).toEqual(before);
    });

    it('should echo the caller\'s X-Request-Id in the header and the problem body', async () => {
      const response = await author.send('POST', '/api/articles', { article: { title: 5 } }, { 'x-request-id': 'my-trace-42' });

      expect(response.headers['x-request-id']).toBe('my-trace-42');
      expect(response.json().requestId).toBe('my-trace-42');
    });
  });

  describe('the example domain: an article of Conduit', () => {
    it('should create, read, list, update and delete an article', async () => {
      const created = await author.publish({ title: 'crud' });

      await articleReplicated(created.slug);
      const updated = await author.send('PUT', `/api/articles/${created.slug}`, { article: { description: 'edited', body: 'edited' } });
      expect(updated.status).toBe(200);
      expect(updated.json().article).toMatchObject({ slug: created.slug, title: 'crud', description: 'edited', body: 'edited' });

      await articleReplicated(created.slug);
      const page = await app.get(`/api/articles?author=${author.username}&limit=1`);
      const [{ n: authored }] = await onNode<{ n: number }>('db-primary', 'SELECT count(*)::int AS n FROM conduit_article a JOIN conduit_user u ON u.id = a.author_id WHERE u.username = $1', [author.username]);
      expect(page.json().articles[0]).toMatchObject({ slug: created.slug, description: 'edited' });
      expect(page.json().articlesCount).toBe(authored); // over every page, not this one's

      expect((await author.send('DELETE', `/api/articles/${created.slug}`)).status).toBe(204);
      await articleReplicated(created.slug);
      expect((await app.get(`/api/articles/${created.slug}`)).status).toBe(404);
    });

    it('should cache GET /api/articles/:slug and never serve the old entry after an update', async () => {
      const { slug } = await author.publish();
      await articleReplicated(slug);

      // The create's own read-back (on the primary) may already have filled the entry; else a read fills it.
      // Fills are judged by where the app knows the replicas had replayed (its last probe): the first may not store.
      await until('the article in the cache', async () => (await app.get(`/api/articles/${slug}`)).headers['x-cache'] === 'HIT');
      await author.send('PUT', `/api/articles/${slug}`, { article: { body: 'changed' } });
      await articleReplicated(slug);

      // The old entry is gone: served from the database, or from the entry the update's own read-back (on the
      // primary, after the write) stored — the new body either way.
      const after = await app.get(`/api/articles/${slug}`);
      expect(after.json().article.body).toBe('changed');
    });
  });

  describe('npm run migrate', () => {
    it('should let two concurrent runs apply each migration exactly once', async () => {
      await onNode('db-primary', 'DROP DATABASE IF EXISTS migrate_race');
      await onNode('db-primary', 'CREATE DATABASE migrate_race OWNER app');
      const runMigrate = () =>
        new Promise<{ code: number | null; output: string }>((resolve) => {
          const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'database', 'migrate.js')], {
            env: { ...process.env, DB_PRIMARY_HOST: service('db-primary').address, DB_REPLICA_HOSTS: '', DB_NAME: 'migrate_race', DB_PASSWORD: 'app-dev-password' },
          });
          let output = '';
          child.stdout.on('data', (d) => (output += d));
          child.stderr.on('data', (d) => (output += d));
          child.on('exit', (code) => resolve({ code, output }));
        });

      const runs = await Promise.all([runMigrate(), runMigrate()]);

      expect(runs.map((r) => r.code)).toEqual([0, 0]);
      expect(runs.filter((r) => r.output.includes('migrate: applied')).length).toBe(1);
      expect(runs.filter((r) => r.output.includes('nothing to apply')).length).toBe(1);
      const applied = await onNode('db-primary', 'SELECT 1').then(() =>
        import('pg').then(async ({ Client }) => {
          const client = new Client({ host: service('db-primary').address, user: 'app', password: 'app-dev-password', database: 'migrate_race' });
          await client.connect();
          try {
            return (await client.query('SELECT name FROM migrations')).rows.map((r) => r.name);
          } finally {
            await client.end();
          }
        }),
      );
      expect(applied).toEqual(MIGRATIONS.map((m) => m.name));
      await onNode('db-primary', 'DROP DATABASE migrate_race WITH (FORCE)');
    });

    it('should leave no difference between the Conduit entities and the migrated schema', async () => {
      await onNode('db-primary', 'DROP DATABASE IF EXISTS schema_check');
      await onNode('db-primary', 'CREATE DATABASE schema_check OWNER app');
      // The settings the migrate job above runs with, in this process: the entities load for PostgreSQL, as in the app.
      const config = AppConfig.fromEnv({ ...process.env, DB_PRIMARY_HOST: service('db-primary').address, DB_REPLICA_HOSTS: '', DB_NAME: 'schema_check', DB_PASSWORD: 'app-dev-password' });
      await migrate(config);
      const dataSource = await primaryDataSource(config, 'schema-check', { entities: CONDUIT_ENTITIES });
      try {
        const { upQueries } = await dataSource.driver.createSchemaBuilder().log();

        expect(upQueries.map((query) => query.query)).toEqual([]);
      } finally {
        await dataSource.destroy();
        await onNode('db-primary', 'DROP DATABASE schema_check WITH (FORCE)');
      }
    });
  });

  // Issue 14, item 8: an exhausted pool's queue timeout counted as a node failure. Under a spike replica A was
  // excluded, B took its load and was excluded too, and the primary took everything.
  describe('a spike that exhausts the replicas\' pools', () => {
    it('should exclude no replica', async () => {
      const db = await RoutedDataSource.start({ DB_POOL_MAX_REPLICA: '1', DB_CONNECT_TIMEOUT_MS: '100' });
      const replicas = () => db.topology.hosts.oltp().filter((host) => host.node !== db.topology.primary);
      try {
        await until('both replicas eligible', async () => replicas().length === 2 && replicas().every((host) => host.eligible));
        // Probe rounds (a failed read on the primary asks for one) readmit an excluded replica within a second:
        // record the exclusions themselves.
        const exclusions: string[] = [];
        for (const host of replicas()) {
          const markDown = host.markDown.bind(host);
          host.markDown = (reason: string) => {
            exclusions.push(`${host.name}: ${reason}`);
            markDown(reason);
          };
        }

        // Each read holds its replica's one connection for 300 ms: the others queue past the 100 ms timeout.
        const spike = await Promise.allSettled(
          Array.from({ length: 8 }, () =>
            db.request(async () => {
              const runner = db.dataSource.createQueryRunner('slave');
              try {
                return await runner.query('SELECT pg_sleep(0.3), pg_is_in_recovery() AS replica');
              } finally {
                await runner.release();
              }
            }),
          ),
        );

        const served = spike.flatMap((outcome) => (outcome.status === 'fulfilled' ? outcome.value.nodes : []));
        expect(served.filter((node) => REPLICA.test(node)).length).toBeGreaterThanOrEqual(2);
        expect(exclusions).toEqual([]);
        expect(replicas().map((host) => ({ name: host.name, eligible: host.eligible }))).toEqual([
          { name: expect.stringMatching(REPLICA), eligible: true },
          { name: expect.stringMatching(REPLICA), eligible: true },
        ]);
      } finally {
        await db.close();
      }
    });
  });

  describe('REPLICA_ROUTING=fixed (the benchmark baseline)', () => {
    it('should send every read to the first replica and issue no consistency token', async () => {
      const naive = await TestApp.start({ REPLICA_ROUTING: 'fixed' });
      try {
        const reads = [];
        for (let i = 0; i < 10; i++) reads.push(await naive.get(uncachedListPath()));

        expect(reads.map((r) => r.headers['x-db-node'])).toEqual(Array(10).fill('db-replica-1'));
        expect(reads.some((r) => r.headers['x-consistency-token'])).toBe(false);
      } finally {
        await naive.stop();
      }
    });
  });

  describe('graceful shutdown', () => {
    it('should turn readiness to 503 on SIGTERM, keep serving meanwhile, and exit cleanly', async () => {
      const leaving = await TestApp.start({ SHUTDOWN_GRACE_MS: '1500' });

      leaving.signal('SIGTERM');
      const ready = await until('readiness 503', async () => {
        const response = await leaving.get('/health/ready');
        return response.status === 503 && response;
      }, 1000);
      const served = await leaving.get('/api/articles?limit=1');

      expect(ready.status).toBe(503);
      expect(served.status).toBe(200);
      // Nest re-raises the signal once its shutdown hooks are done: the exit is "by SIGTERM", not a crash.
      expect(await leaving.exited()).toEqual({ code: null, signal: 'SIGTERM' });
      expect(leaving.logs).not.toMatch(/"level":50/);
    });
  });
});
