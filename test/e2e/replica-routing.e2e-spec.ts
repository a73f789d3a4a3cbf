import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../stack/native/paths';
import { service } from '../../stack/topology';
import { MIGRATIONS } from '../../src/database/migrations';
import { articleDraft, expectProblem } from './support/articles';
import { loopFor, onNode, pauseReplay, resumeReplay, startService, stopService, until, withServiceStopped } from './support/stack-control';
import { TestApp } from './support/test-app';

const REPLICA = /^db-replica-[12]$/;

/** A GET that no cache can answer: every (limit, cursor) pair is its own cache entry. */
let uncachedSerial = 0;
const uncachedListPath = () => `/articles?limit=${1 + (uncachedSerial % 100)}&cursor=${2_000_000_000 - Math.floor(uncachedSerial++ / 100)}`;

const countArticles = async () => Number((await onNode<{ n: string }>('db-primary', 'SELECT count(*) AS n FROM article'))[0].n);
/** Waits until both replicas have replayed the article as the primary has it now (or its deletion). */
const replicated = async (id: number) => {
  const [expected] = await onNode('db-primary', 'SELECT title, body, updated_at FROM article WHERE id = $1', [id]);
  await until(`article ${id} on both replicas`, async () => {
    const found = await Promise.all(['db-replica-1', 'db-replica-2'].map((r) => onNode(r, 'SELECT title, body, updated_at FROM article WHERE id = $1', [id])));
    return found.every((rows) => JSON.stringify(rows[0]) === JSON.stringify(expected));
  });
};

describe('The app on real streaming replication', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start();
  });

  afterAll(async () => {
    await app?.stop();
  });

  describe('POST /articles', () => {
    it('should write on the primary and the row should reach both replicas', async () => {
      const created = await app.send('POST', '/articles', articleDraft({ title: 'replicated' }));

      expect(created.status).toBe(201);
      expect(created.headers['x-db-node']).toBe('db-primary');
      expect(created.json()).toMatchObject({ id: expect.any(Number), title: 'replicated', createdAt: expect.any(String), updatedAt: expect.any(String) });
      await replicated(created.json().id);
    });
  });

  describe('GET /articles', () => {
    it('should be served by the replicas, in turn', async () => {
      await replicated((await app.send('POST', '/articles', articleDraft())).json().id);

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
        for (let i = 0; i < 3; i++) await app.send('POST', '/articles', articleDraft());

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

      expect(health.primary).toMatchObject({ name: 'db-primary', reachable: true, currentLsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/), timeline: expect.any(Number) });
      expect(health.replicas.map((r: { name: string }) => r.name).sort()).toEqual(['db-replica-1', 'db-replica-2']);
      for (const replica of health.replicas) {
        expect(replica).toMatchObject({ replayLsn: expect.any(String), lagBytes: expect.any(Number), lagSeconds: expect.any(Number), lastCheckedAt: expect.any(String) });
      }
    });
  });

  describe('with Redis stopped', () => {
    it('should still answer 2xx from the database and stay ready, the cache degraded', async () => {
      const { id } = (await app.send('POST', '/articles', articleDraft())).json();
      await replicated(id);
      await withServiceStopped('redis', async () => {
        const read = await app.get(`/articles/${id}`);
        const written = await app.send('POST', '/articles', articleDraft());
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
    type Case = [what: string, method: string, path: string, body: unknown, status: number, headers?: Record<string, string>];
    const cases: Case[] = [
      ['malformed JSON', 'POST', '/articles', '{"title": "x", ', 400],
      ['a wrong type', 'POST', '/articles', { title: 5, body: 'b' }, 400],
      ['an unknown field', 'POST', '/articles', { title: 't', body: 'b', admin: true }, 400],
      ['a missing field', 'POST', '/articles', { body: 'b' }, 400],
      ['an empty title', 'POST', '/articles', { title: '', body: 'b' }, 400],
      ['a 201-character title', 'POST', '/articles', { title: tooLong(201), body: 'b' }, 400],
      ['a body over 100 000 characters', 'POST', '/articles', { title: 't', body: tooLong(100_001) }, 400],
      ['a body over the 1 MiB limit', 'POST', '/articles', { title: 't', body: tooLong(1_100_000) }, 413],
      ['a JSON array', 'POST', '/articles', [{ title: 't', body: 'b' }], 400],
      ['a JSON string', 'POST', '/articles', '"title"', 400],
      ['a media type the API does not take', 'POST', '/articles', '<title/>', 415, { 'content-type': 'application/xml' }],
      ['a malformed id', 'GET', '/articles/abc', undefined, 400],
      ['id zero', 'GET', '/articles/0', undefined, 400],
      ['an id beyond the column range', 'GET', '/articles/99999999999', undefined, 400],
      ['limit zero', 'GET', '/articles?limit=0', undefined, 400],
      ['limit over the cap', 'GET', '/articles?limit=1000', undefined, 400],
      ['a malformed cursor', 'GET', '/articles?cursor=abc', undefined, 400],
      ['an unknown query parameter', 'GET', '/articles?sort=title', undefined, 400],
      ['an empty PATCH', 'PATCH', '/articles/1', {}, 400],
      ['a PATCH with a wrong type', 'PATCH', '/articles/1', { title: ['x'] }, 400],
      ['a missing article', 'GET', '/articles/2147483647', undefined, 404],
      ['a PATCH of a missing article', 'PATCH', '/articles/2147483647', { title: 'x' }, 404],
      ['a DELETE of a missing article', 'DELETE', '/articles/2147483647', undefined, 404],
      ['an unknown route', 'GET', '/nope', undefined, 404],
    ];

    const table = cases.map(([what, method, path, body, status, headers]) => ({ what, method, path, body, status, headers }));

    it.each(table)('should answer $what with a $status problem+json and write nothing', async ({ method, path, body, status, headers }) => {
      const before = await countArticles();

      const response = await app.send(method, path, body, headers);

      expectProblem(response, status);
      expect(await countArticles()).toBe(before);
    });

    it('should echo the caller\'s X-Request-Id in the header and the problem body', async () => {
      const response = await app.send('POST', '/articles', { title: 5 }, { 'x-request-id': 'my-trace-42' });

      expect(response.headers['x-request-id']).toBe('my-trace-42');
      expect(response.json().requestId).toBe('my-trace-42');
    });
  });

  describe('the example module', () => {
    it('should create, read, list, update and delete an article', async () => {
      const created = (await app.send('POST', '/articles', articleDraft({ title: 'crud' }))).json();

      await replicated(created.id);
      const patched = await app.send('PATCH', `/articles/${created.id}`, { body: 'edited' });
      expect(patched.status).toBe(200);
      expect(patched.json()).toMatchObject({ id: created.id, title: 'crud', body: 'edited' });

      await replicated(created.id);
      const page = await app.get(`/articles?limit=1&cursor=${created.id + 1}`);
      expect(page.json().items[0]).toMatchObject({ id: created.id, body: 'edited' });
      expect(page.json().nextCursor).toBe(String(created.id));

      expect((await app.send('DELETE', `/articles/${created.id}`)).status).toBe(204);
      await replicated(created.id);
      expect((await app.get(`/articles/${created.id}`)).status).toBe(404);
    });

    it('should cache GET /articles/:id and drop the entry on update', async () => {
      const { id } = (await app.send('POST', '/articles', articleDraft())).json();
      await replicated(id);

      expect((await app.get(`/articles/${id}`)).headers['x-cache']).toBe('MISS');
      expect((await app.get(`/articles/${id}`)).headers['x-cache']).toBe('HIT');
      await app.send('PATCH', `/articles/${id}`, { title: 'changed' });
      await replicated(id);

      const after = await app.get(`/articles/${id}`);
      expect(after.headers['x-cache']).toBe('MISS');
      expect(after.json().title).toBe('changed');
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
      const served = await leaving.get('/articles?limit=1');

      expect(ready.status).toBe(503);
      expect(served.status).toBe(200);
      // Nest re-raises the signal once its shutdown hooks are done: the exit is "by SIGTERM", not a crash.
      expect(await leaving.exited()).toEqual({ code: null, signal: 'SIGTERM' });
      expect(leaving.logs).not.toMatch(/"level":50/);
    });
  });
});
