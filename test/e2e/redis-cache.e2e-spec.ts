import { Redis } from 'ioredis';
import { RedisCache } from '../../src/cache/redis-cache';
import { RedisConnection } from '../../src/cache/redis-connection';
import { AppConfig } from '../../src/config/app-config';
import type { DatabaseTopology } from '../../src/database/database-topology';
import { Lsn } from '../../src/database/lsn';
import type { TopologyMonitor } from '../../src/database/topology-monitor';
import { lsnKey } from '../../src/cache/cache-keys';
import { RequestContext } from '../../src/request-context/request-context';
import { stackRedisUrl, until } from './support/stack-control';

// RedisCache against the stack's real Redis, with positions made up around the stack's own valid-from.
const redisUrl = stackRedisUrl();
const configFor = (routing: 'aware' | 'fixed') =>
  AppConfig.fromEnv({ REDIS_URL: redisUrl, REPLICA_ROUTING: routing, CONSISTENCY_TOKEN_SECRET: 'redis-cache-e2e-secret' });
// A primary far behind the stack's: this test never raises the stack's valid-from. Tests that write with no
// position of their own set what it answers after the write (null: no primary can tell one).
const FAR_BEHIND = 1n;
let primaryPosition: Lsn | null = FAR_BEHIND;
const topology = { primary: { positionAfter: async () => primaryPosition } } as unknown as DatabaseTopology;
// The cluster's history as the topology monitor sees it: a failover moves it to a new timeline.
const HISTORY = { systemIdentifier: '7000000000000000001', timeline: 1 };
const monitor = { primaryState: { ...HISTORY } } as unknown as TopologyMonitor;

/** Runs `fn` as a request. */
function asRequest<T>(fn: (context: RequestContext) => Promise<T>): Promise<T> {
  const context = new RequestContext('redis-cache-e2e');
  return RequestContext.run(context, () => fn(context));
}

/** A load whose read saw the database from `from` to `to` (what a replica read records), answering `value`. */
const loadSeeing = (from: Lsn | undefined, to: Lsn | undefined, value: string) => async () => {
  if (from !== undefined) RequestContext.current()!.session.recordRead({ positionAfter: async () => to ?? null }, from, Promise.resolve(to ?? null));
  return value;
};

describe('RedisCache on the real Redis', () => {
  const redis = new Redis(redisUrl);
  const connections = [new RedisConnection(configFor('aware'), topology), new RedisConnection(configFor('fixed'), topology)];
  const aware = new RedisCache(connections[0], configFor('aware'), topology, monitor);
  const fixed = new RedisCache(connections[1], configFor('fixed'), topology, monitor);
  let base: Lsn;
  let key: string;

  beforeAll(async () => {
    await until("the cache's valid-from known", async () => (aware as unknown as { validFrom: { current?: string } }).validFrom.current !== undefined);
    base = BigInt(`0x${(aware as unknown as { validFrom: { current: string } }).validFrom.current}`) + 0x1000n;
  });
  beforeEach(() => {
    key = `e2e:redis-cache:${Date.now()}:${Math.random()}`;
  });
  afterEach(() => {
    primaryPosition = FAR_BEHIND;
    Object.assign(monitor.primaryState, HISTORY);
  });
  afterAll(async () => {
    for (const closing of [aware, fixed, ...connections]) closing.onApplicationShutdown();
    redis.disconnect();
  });

  const read = (cache: RedisCache, from: Lsn | undefined, value: string) =>
    asRequest(async (context) => ({ value: await cache.getOrLoad(key, 60, loadSeeing(from, from === undefined ? undefined : from + 8n, value)), cache: context.cacheStatus }));

  it('should close a key to the cache from before a write commits until its invalidation lands', async () => {
    await read(aware, base, 'v1');
    expect(await read(aware, base, 'unused')).toEqual({ value: 'v1', cache: 'HIT' });

    const during = await asRequest((writer) =>
      aware.invalidating([key], async () => {
        // After the commit, before the invalidation: a reader who saw the write elsewhere finds no old entry,
        // and a reader on a replica that has not replayed it cannot put the old row back.
        writer.session.recordWrite(Promise.resolve(base + 0x100n));
        const first = await read(aware, base + 0x10n, 'v1 from a lagging replica');
        const second = await read(aware, base + 0x10n, 'v1 from a lagging replica');
        return [first, second];
      }),
    );

    expect(during).toEqual([
      { value: 'v1 from a lagging replica', cache: 'MISS' },
      { value: 'v1 from a lagging replica', cache: 'MISS' },
    ]);
    expect(await redis.exists(`${key}:writing`)).toBe(0);
    await read(aware, base + 0x50n, 'v1 read before the write, filled after it');
    expect((await read(aware, base + 0x100n, 'v2')).cache).toBe('MISS');
    expect(await read(aware, base + 0x100n, 'unused')).toEqual({ value: 'v2', cache: 'HIT' });
  });

  it('should open the key again when the write fails', async () => {
    await expect(aware.invalidating([key], async () => Promise.reject(new Error('rolled back')))).rejects.toThrow('rolled back');

    await read(aware, base, 'v1');
    expect(await read(aware, base, 'unused')).toEqual({ value: 'v1', cache: 'HIT' });
  });

  it('should keep a fixed-routing app (no positions) from refilling a key that a write invalidated', async () => {
    await asRequest((writer) =>
      aware.invalidating([key], async () => {
        writer.session.recordWrite(Promise.resolve(base));
      }),
    );

    await read(fixed, undefined, 'v1 from a lagging replica');
    expect((await read(fixed, undefined, 'again')).cache).toBe('MISS');
  });

  it('should fill a fixed-routing app without asking any node for a position (its entries are not judged by one)', async () => {
    let asked = 0;
    const replica = { positionAfter: async () => (asked++, base) };
    const load = async () => {
      RequestContext.current()!.session.recordRead(replica, undefined, Promise.resolve(null), 'r1');
      return 'v1';
    };

    await asRequest(() => fixed.getOrLoad(key, 60, load));

    expect(asked).toBe(0);
    expect(await asRequest(async (context) => ({ value: await fixed.getOrLoad(key, 60, load), cache: context.cacheStatus }))).toEqual({ value: 'v1', cache: 'HIT' });
  });

  it('should bound an aware fill whose read had no position behind it by asking its node once', async () => {
    let asked = 0;
    const primary = { positionAfter: async () => (asked++, base + 0x20n) };
    const load = async () => {
      RequestContext.current()!.session.recordRead(primary, base + 0x10n, Promise.resolve(null));
      return 'v1';
    };

    await asRequest(() => aware.getOrLoad(key, 60, load));

    expect(asked).toBe(1);
    expect(await read(aware, base, 'unused')).toEqual({ value: 'v1', cache: 'HIT' });
  });

  it("should read only the entry on a hit, and the key's last write and invalidation count only on a miss, before its load", async () => {
    // The fill's script is then in Redis's script cache: one EVALSHA, no NOSCRIPT and EVAL after it.
    const measured = key;
    key = `${measured}:warm-up`;
    await read(aware, base, 'v0');
    key = measured;
    const monitor = await redis.monitor();
    const seen: string[] = [];
    // What the app sends: MONITOR also shows the commands a script runs, from source 'lua'.
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args.some((arg) => arg.startsWith(measured))) seen.push(args.filter((arg) => !/^[0-9a-f]{40}$/.test(arg)).slice(0, 4).join(' ').toLowerCase());
    });
    try {
      await read(aware, base, 'v1');
      await until('the fill seen by MONITOR', async () => seen.some((line) => line.startsWith('evalsha')));
      const miss = seen.splice(0);
      await read(aware, base, 'unused');
      await until('the hit seen by MONITOR', async () => seen.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 200));

      expect(miss.slice(0, 2)).toEqual([`get ${key}`, `mget ${key}:invalidated-at ${key}:invalidations`]);
      expect(miss.slice(2)).toEqual([`evalsha 5 ${key} ${key}:invalidated-at`]);
      expect(seen).toEqual([`get ${key}`]);
    } finally {
      monitor.disconnect();
    }
  });

  describe('a write whose position is unknown', () => {
    it('should keep a lagging replica from refilling a key that a write outside any request (a job) changed', async () => {
      await read(aware, base, 'v1');
      primaryPosition = base + 0x100n; // what the primary says right after the job's write

      await aware.invalidating([key], async () => "a job's write, outside any request: no session records its position");
      await read(aware, base + 0x10n, 'v1 from a lagging replica');

      expect(await read(aware, base + 0x100n, 'v2')).toEqual({ value: 'v2', cache: 'MISS' });
      expect(await read(aware, base + 0x100n, 'unused')).toEqual({ value: 'v2', cache: 'HIT' });
    });

    it('should refuse every fill after a write whose position nobody could tell, until the primary tells one', async () => {
      primaryPosition = null;
      await aware.invalidating([key], async () => 'committed as the primary went away');

      await read(aware, base + 0x200n, 'v1 from a replica of unknown freshness');
      expect((await read(aware, base + 0x200n, 'again')).cache).toBe('MISS');

      primaryPosition = base + 0x100n;
      await until('the unknown marker resolved', async () => (await redis.get(`${key}:invalidated-at`)) === lsnKey(base + 0x100n), 5000);
      await read(aware, base + 0x50n, 'v1 from a lagging replica');
      expect(await read(aware, base + 0x100n, 'v2')).toEqual({ value: 'v2', cache: 'MISS' });
      expect(await read(aware, base + 0x100n, 'unused')).toEqual({ value: 'v2', cache: 'HIT' });
    });
  });

  it('should refuse a fill whose read ran before a write became visible, though its position claims past the write (synchronous replication)', async () => {
    // In synchronous mode a commit is invisible on the primary until the standby acknowledges it, while the
    // primary's position already counts it: a read there in between claims a lower bound past the write.
    const primary = { positionAfter: async () => base + 0x210n };
    await asRequest(() =>
      aware.getOrLoad(key, 60, async () => {
        await asRequest((writer) => aware.invalidating([key], async () => writer.session.recordWrite(Promise.resolve(base + 0x100n))));
        RequestContext.current()!.session.recordRead(primary, base + 0x200n, Promise.resolve(base + 0x210n));
        return 'v1, read while the write waited for its standby';
      }),
    );

    expect(await read(aware, base + 0x200n, 'v2')).toEqual({ value: 'v2', cache: 'MISS' });
  });

  it('should not store a load whose invalidation count was read on an earlier Redis connection (a Redis failover may lose what landed during it)', async () => {
    const primary = { positionAfter: async () => base + 0x210n };
    await asRequest(() =>
      aware.getOrLoad(key, 60, async () => {
        await asRequest((writer) => aware.invalidating([key], async () => writer.session.recordWrite(Promise.resolve(base + 0x100n))));
        // As if the master died before its replica got the invalidation's count, and the Sentinels promoted the
        // replica: the count as it was when the load began, on a new connection.
        await redis.del(`${key}:invalidations`);
        const connection = connections[0];
        await new Promise((resolve) => {
          connection.redis.once('ready', resolve);
          connection.redis.disconnect(true);
        });
        await until('the cache connected again, its valid-from known', async () => connection.validFrom.current !== undefined);
        RequestContext.current()!.session.recordRead(primary, base + 0x200n, Promise.resolve(base + 0x210n));
        return 'v1, read while the write waited for its standby';
      }),
    );

    expect(await read(aware, base + 0x200n, 'v2')).toEqual({ value: 'v2', cache: 'MISS' });
  });

  describe('after a failover', () => {
    it('should not serve an entry read on an earlier timeline (its rows may be lost writes)', async () => {
      await read(aware, base, 'a row the failover lost');
      expect((await read(aware, base, 'unused')).cache).toBe('HIT');

      monitor.primaryState.timeline = 2;

      expect(await read(aware, base, 'the row on the new timeline')).toEqual({ value: 'the row on the new timeline', cache: 'MISS' });
      expect(await read(aware, base, 'unused')).toEqual({ value: 'the row on the new timeline', cache: 'HIT' });
    });

    it('should not serve an entry read on another cluster', async () => {
      await read(aware, base, 'a row of the old cluster');

      monitor.primaryState.systemIdentifier = '7000000000000000002';

      expect((await read(aware, base, 'a row of the new cluster')).cache).toBe('MISS');
    });

    it('should not store what an app still on the old timeline read once another knows the new one', async () => {
      const loadingAcrossTheFailover = asRequest(() =>
        aware.getOrLoad(key, 60, async () => {
          const value = await loadSeeing(base, base + 8n, 'read on the old timeline')();
          monitor.primaryState.timeline = 2; // the monitor sees the failover while the read is under way
          return value;
        }),
      );
      await loadingAcrossTheFailover;

      expect((await read(aware, base, 'read on the new timeline')).cache).toBe('MISS');
    });
  });
});
