import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConsistencyTokenCodec } from '../../src/database/consistency-token';
import { parseLsn } from '../../src/database/lsn';
import { Redis } from 'ioredis';
import { paths } from '../../stack/native/paths';
import { service } from '../../stack/topology';
import { articleDraft } from './support/articles';
import { closeClient, get, request } from './support/client';
import { onNode, pauseReplay, resumeReplay, stackRedisUrl, startService, stopService, until } from './support/stack-control';
import { caughtUp, delayReplicas, undelayReplicas } from './support/replica-delay';
import { TokenClient } from './support/token-client';

const REPLICAS = ['db-replica-1', 'db-replica-2'];

/** `pairs` write→read pairs by `clients` concurrent clients; a read that does not show the write is stale. */
async function writeThenRead(pairs: number, clients: number, sendsToken: boolean) {
  const outcome = { stale: 0, failed: 0, reads: 0, byNode: new Map<string, number>(), writerIsNotReader: 0 };
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = new TokenClient(sendsToken);
      for (let i = 0; i < pairs / clients; i++) {
        const draft = articleDraft();
        const written = await client.send('POST', '/articles', draft);
        if (written.status !== 201) {
          outcome.failed++;
          continue;
        }
        const read = await client.send('GET', `/articles/${written.json().id}`);
        outcome.reads++;
        if (read.status >= 500) outcome.failed++;
        else if (read.status !== 200 || read.json().title !== draft.title) outcome.stale++;
        const node = String(read.headers['x-db-node'] ?? 'cache');
        outcome.byNode.set(node, (outcome.byNode.get(node) ?? 0) + 1);
        if (read.headers['x-app-instance'] !== written.headers['x-app-instance']) outcome.writerIsNotReader++;
      }
    }),
  );
  return outcome;
}

/** A request to one app server, bypassing nginx, with the client's token. */
const onApp = (app: string, method: string, path: string, token?: string, body?: unknown) =>
  request(method, path, { baseUrl: `http://${service(app).address}:3000`, body, headers: token ? { 'x-consistency-token': token } : {} });

/** Each app server's own view (nginx's round robin is per worker: two requests may reach the same app). */
const eachAppsReplication = () =>
  Promise.all(['app-1', 'app-2'].map(async (app) => (await request('GET', '/health/replication', { baseUrl: `http://${service(app).address}:3000` })).json()));

describe('Replication awareness, proven through nginx on the native stack', () => {
  afterAll(() => closeClient());

  describe('read-your-writes across both app servers', () => {
    it('should serve 0 stale reads in 500 write→read pairs when clients send their token, replicas 500 ms behind', async () => {
      await delayReplicas('500ms');
      try {
        const outcome = await writeThenRead(500, 10, true);

        expect(outcome).toMatchObject({ stale: 0, failed: 0, reads: 500 });
        expect(outcome.writerIsNotReader).toBeGreaterThan(100); // the read often lands on the other app server
      } finally {
        await undelayReplicas();
      }
    });

    it('should show stale reads exist when the same clients do not send their token (the test can fail)', async () => {
      await delayReplicas('500ms');
      try {
        const outcome = await writeThenRead(50, 5, false);

        expect(outcome.failed).toBe(0);
        expect(outcome.stale).toBeGreaterThan(0);
      } finally {
        await undelayReplicas();
      }
    });

    it('should serve at least 90 % of those reads from replicas when replication keeps up', async () => {
      await caughtUp();

      const outcome = await writeThenRead(200, 4, true);

      const fromReplicas = [...outcome.byNode].filter(([node]) => node.startsWith('db-replica-')).reduce((n, [, count]) => n + count, 0);
      expect(outcome).toMatchObject({ stale: 0, failed: 0 });
      expect(fromReplicas / outcome.reads).toBeGreaterThanOrEqual(0.9);
    });

    it('should advance the token on reads, never backwards', async () => {
      const client = new TokenClient();
      const { id } = (await client.send('POST', '/articles', articleDraft())).json();
      const positions = [client.lsn!];

      for (let i = 0; i < 10; i++) {
        await client.send('GET', i % 2 ? `/articles/${id}` : `/articles?limit=${i + 1}`);
        positions.push(client.lsn!);
      }

      expect(positions.every((lsn, i) => i === 0 || lsn >= positions[i - 1])).toBe(true);
    });
  });

  describe('plain reads', () => {
    it('should serve at least 90 % of GETs from replicas', async () => {
      await caughtUp();
      const nodes: string[] = [];
      for (let i = 0; i < 100; i++) {
        const response = await get(`/articles?limit=${1 + (i % 100)}&cursor=${1_800_000_000 - i}`);
        expect(response.status).toBe(200);
        nodes.push(String(response.headers['x-db-node']));
      }

      expect(nodes.filter((n) => n.startsWith('db-replica-')).length).toBeGreaterThanOrEqual(90);
    });
  });

  describe('lag monitor', () => {
    it('should exclude a paused replica once its lag passes the byte threshold, move reads away, and readmit it', async () => {
      await pauseReplay('db-replica-1');
      try {
        // ~16 MB of WAL, past REPLICA_MAX_LAG_BYTES (8 MiB).
        await onNode('db-primary', "CREATE TABLE wal_filler AS SELECT g, repeat('x', 500) AS pad FROM generate_series(1, 30000) g");
        const excluded = await until('db-replica-1 excluded on both app servers', async () => {
          const views = await eachAppsReplication();
          const states = views.map((v) => v.replicas.find((r: { name: string }) => r.name === 'db-replica-1'));
          return states.every((s) => s && !s.eligible) && states[0];
        }, 15_000);
        expect(excluded.reason).toMatch(/lag/);
        expect(excluded.lagBytes).toBeGreaterThan(8 * 1024 * 1024);

        const served = new Set<string>();
        for (let i = 0; i < 20; i++) served.add(String((await get(`/articles?limit=${1 + i}&cursor=${1_700_000_000 - i}`)).headers['x-db-node']));
        expect(served).toEqual(new Set(['db-replica-2']));
      } finally {
        await resumeReplay('db-replica-1');
        await onNode('db-primary', 'DROP TABLE IF EXISTS wal_filler');
      }
      await until('db-replica-1 readmitted on both app servers', async () => {
        const views = await eachAppsReplication();
        return views.every((v) => v.replicas.every((r: { eligible: boolean }) => r.eligible));
      }, 20_000);
    });
  });

  describe('cache', () => {
    it('should never serve a stale value after a write, from the cache or from a lagging replica, even to readers without a token', async () => {
      const writer = new TokenClient();
      const { id } = (await writer.send('POST', '/articles', articleDraft({ title: 'v1' }))).json();
      await caughtUp();
      await get(`/articles/${id}`);
      expect((await get(`/articles/${id}`)).headers['x-cache']).toBe('HIT');

      await pauseReplay(...REPLICAS);
      try {
        expect((await writer.send('PATCH', `/articles/${id}`, { title: 'v2' })).status).toBe(200);
        // Token-less readers miss the dropped entry, and their read must see the key's last write (remembered
        // with its marker): the paused replicas have not replayed it, so the primary serves them the new row,
        // and only a read that saw the write may fill the cache.
        const during = [await get(`/articles/${id}`), await get(`/articles/${id}`), await get(`/articles/${id}`)];
        expect(during.map((r) => r.json().title)).toEqual(['v2', 'v2', 'v2']);
        expect(during.filter((r) => r.headers['x-cache'] === 'MISS').every((r) => r.headers['x-db-node'] === 'db-primary')).toBe(true);
        // The writer, with its token, sees its write.
        expect((await writer.send('GET', `/articles/${id}`)).json().title).toBe('v2');
      } finally {
        await resumeReplay(...REPLICAS);
      }
      await caughtUp();

      const after = await Promise.all(Array.from({ length: 6 }, () => get(`/articles/${id}`)));
      expect(after.map((r) => r.json().title)).toEqual(Array(6).fill('v2'));
    });
  });

  describe('cache and tokens', () => {
    it('should keep serving cached entries to a client right after its write, and its own write fresh', async () => {
      const writer = new TokenClient();
      const { id: other } = (await writer.send('POST', '/articles', articleDraft())).json();
      const { id: mine } = (await writer.send('POST', '/articles', articleDraft({ title: 'v1' }))).json();
      await caughtUp();
      for (const id of [other, mine]) await Promise.all(['app-1', 'app-2'].map((app) => onApp(app, 'GET', `/articles/${id}`)));

      expect((await writer.send('PATCH', `/articles/${mine}`, { title: 'v2' })).status).toBe(200);
      const otherAfterWrite = await writer.send('GET', `/articles/${other}`);
      const mineAfterWrite = await writer.send('GET', `/articles/${mine}`);

      // The other entry was read before the write's position, and is still what the database holds.
      expect(otherAfterWrite.headers['x-cache']).toBe('HIT');
      expect(mineAfterWrite.json().title).toBe('v2');
    });

    it('should hand a client served from the cache a token covering what the entry\'s read saw', async () => {
      const { id } = (await request('POST', '/articles', { body: articleDraft() })).json();
      await onNode('db-primary', 'CREATE TABLE IF NOT EXISTS wal_nudge (n int); INSERT INTO wal_nudge VALUES (1)');
      await caughtUp(); // the replicas replayed past the last position the app knows for them (probed ≤ 1 s ago)

      const miss = await onApp('app-1', 'GET', `/articles/${id}`);
      const hit = await onApp('app-1', 'GET', `/articles/${id}`);

      expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['MISS', 'HIT']);
      const lsnOf = (token: unknown) => parseLsn(String(token).split('.')[3]);
      expect(lsnOf(hit.headers['x-consistency-token'])).toBeGreaterThanOrEqual(lsnOf(miss.headers['x-consistency-token']));
    });

    it('should not let a write\'s invalidation be forgotten when Redis restarts empty (its markers gone with it)', async () => {
      const writer = new TokenClient();
      const { id } = (await writer.send('POST', '/articles', articleDraft({ title: 'v1' }))).json();
      await caughtUp();
      await pauseReplay(...REPLICAS);
      try {
        expect((await writer.send('PATCH', `/articles/${id}`, { title: 'v2' })).status).toBe(200);
        await stopService('redis');
        await startService('redis');
        await until('both app servers on the new Redis', async () => {
          const ready = await Promise.all(['app-1', 'app-2'].map((app) => onApp(app, 'GET', '/health/ready')));
          return ready.every((r) => r.json().details?.cache?.status === 'up');
        });
        const redis = new Redis(stackRedisUrl());
        try {
          await until('the new Redis given a valid-from', async () => {
            const runId = /run_id:(\w+)/.exec(await redis.info('server'))?.[1];
            return (await redis.get('cache:valid-from'))?.startsWith(`${runId}:`);
          });
        } finally {
          redis.disconnect();
        }

        // Token-less readers get the old row from the paused replicas (allowed for them), and it must not
        // go back into the cache, where the writer would get it.
        const during = [];
        for (const app of ['app-1', 'app-2', 'app-1', 'app-2']) during.push(await onApp(app, 'GET', `/articles/${id}`));
        expect(during.map((r) => [r.json().title, r.headers['x-cache']])).toEqual(Array(4).fill(['v1', 'MISS']));
        expect((await writer.send('GET', `/articles/${id}`)).json().title).toBe('v2');
      } finally {
        await resumeReplay(...REPLICAS);
      }
    });

    it("should keep a client off entries its write could not invalidate (Redis refusing writes), then invalidate them", async () => {
      const redis = new Redis(stackRedisUrl(), { lazyConnect: true });
      await redis.connect();
      try {
        const writer = new TokenClient();
        const { id } = (await writer.send('POST', '/articles', articleDraft({ title: 'v1' }))).json();
        await caughtUp();
        await onApp('app-2', 'GET', `/articles/${id}`);
        expect((await onApp('app-2', 'GET', `/articles/${id}`)).headers['x-cache']).toBe('HIT');

        // Reads still work, every script (fills, invalidations) waits: app-1's invalidation times out.
        await redis.call('CLIENT', 'PAUSE', '3000', 'WRITE');
        const written = await onApp('app-1', 'PATCH', `/articles/${id}`, writer.token, { title: 'v2' });
        expect(written.status).toBe(200);
        const token = String(written.headers['x-consistency-token']);

        const anyone = await onApp('app-2', 'GET', `/articles/${id}`);
        const theWriter = await onApp('app-2', 'GET', `/articles/${id}`, token);

        expect([anyone.json().title, anyone.headers['x-cache']]).toEqual(['v1', 'HIT']); // the entry really is stale
        expect([theWriter.json().title, theWriter.headers['x-cache']]).toEqual(['v2', 'MISS']);
        await redis.call('CLIENT', 'UNPAUSE');
        await until('the deferred invalidation applied', async () => (await onApp('app-2', 'GET', `/articles/${id}`)).json().title === 'v2');
      } finally {
        await redis.call('CLIENT', 'UNPAUSE').catch(() => undefined);
        redis.disconnect();
      }
    });
  });

  describe('replicas discovered through DNS', () => {
    it('should start reading from a third replica added to db-replicas, without a restart, and drain it when removed', async () => {
      try {
        await startService('db-replica-3');
        const path = (i: number) => `/articles?limit=${1 + (i % 100)}&cursor=${1_600_000_000 - i}`;
        let i = 0;
        await until('a read served by db-replica-3', async () => (await get(path(i++))).headers['x-db-node'] === 'db-replica-3', 20_000);
        const names = (health: { replicas: { name: string }[] }) => health.replicas.map((r) => r.name).sort().join();
        await until('db-replica-3 known by name on both app servers', async () =>
          (await eachAppsReplication()).every((health) => names(health) === 'db-replica-1,db-replica-2,db-replica-3'),
        );
      } finally {
        await stopService('db-replica-3');
      }
      await until('db-replica-3 gone from both app servers', async () => {
        const views = await eachAppsReplication();
        return views.every((v) => v.replicas.length === 2);
      }, 20_000);
      for (let i = 0; i < 20; i++) {
        const response = await get(`/articles?limit=${1 + i}&cursor=${1_500_000_000 - i}`);
        expect(response.status).toBe(200);
        expect(response.headers['x-db-node']).not.toBe('db-replica-3');
      }
    });
  });

  describe('tokens that cannot be trusted', () => {
    const secret = parseEnv(readFileSync(paths.appEnv, 'utf8')).CONSISTENCY_TOKEN_SECRET!;

    it.each([
      ['a forged token', (_valid: string) => 'v1.7000000000000000001.1.0/1.1700000000000.bm90LWEtc2lnbmF0dXJl'],
      ['a token with a flipped bit', (valid: string) => valid.slice(0, -2) + (valid.at(-2) === 'A' ? 'B' : 'A') + valid.at(-1)],
      ['garbage', () => 'not a token at all'],
      [
        'a token from another cluster',
        (valid: string) => {
          const [, , timeline, lsn] = valid.split('.');
          return new ConsistencyTokenCodec(secret, 60_000).encode({ systemId: '1', timeline: Number(timeline), lsn: parseLsn(lsn), issuedAt: Date.now() });
        },
      ],
    ])('should answer a read with %s without a 5xx and without a stale read', async (_what, tamper) => {
      const writer = new TokenClient();
      const { id } = (await writer.send('POST', '/articles', articleDraft({ title: 'before' }))).json();
      await caughtUp();
      await pauseReplay(...REPLICAS);
      try {
        await writer.send('PATCH', `/articles/${id}`, { title: 'after' });

        const read = await request('GET', `/articles/${id}`, { headers: { 'x-consistency-token': tamper(writer.token!) } });

        expect(read.status).toBe(200);
        expect(read.json().title).toBe('after');
        expect(read.headers['x-db-route']).toMatch(/^primary:(invalid|foreign)-token$/);
        expect(read.headers['x-consistency-token']).toEqual(expect.any(String));
      } finally {
        await resumeReplay(...REPLICAS);
      }
    });
  });
});
