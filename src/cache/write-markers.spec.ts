import type { Redis } from 'ioredis';
import { Lsn, parseLsn, UNKNOWN_POSITION } from '../database/lsn';
import { RequestContext } from '../request-context/request-context';
import { lsnKey } from './cache-keys';
import { WriteMarkers } from './write-markers';

/** A Redis that records each invalidation's position per key, or fails every command while `down`. */
function fakeRedis() {
  const invalidated: Record<string, string> = {};
  const redis = {
    down: false,
    invalidated,
    defineCommand: () => undefined,
    mget: async (keys: string[]) => keys.map(() => null),
    pipeline() {
      const queued: (() => void)[] = [];
      return {
        cacheMark: () => queued.push(() => undefined),
        cacheInvalidate: (key: string, _marker: string, _writers: string, _invalidations: string, lsn: string) => queued.push(() => (invalidated[key] = lsn)),
        cacheResolve: (marker: string, _invalidations: string, unknown: string, lsn: string) =>
          queued.push(() => {
            const key = marker.replace(/:invalidated-at$/, '');
            if (invalidated[key] === unknown) invalidated[key] = lsn;
          }),
        exec: async () => {
          if (redis.down) throw new Error('Connection is closed.');
          queued.forEach((apply) => apply());
          return queued.map(() => [null, 1]);
        },
      };
    },
  };
  return redis;
}

const ttls = { markerSeconds: 120, writeSeconds: 10 };

function markersWith(primary: { position: Lsn | null }) {
  const redis = fakeRedis();
  const markers = new WriteMarkers(redis as unknown as Redis, ttls, () => undefined, async () => primary.position);
  return { redis, markers };
}

const inRequest = <T>(fn: (context: RequestContext) => Promise<T>) => {
  const context = new RequestContext('test');
  return RequestContext.run(context, () => fn(context));
};

describe('WriteMarkers', () => {
  describe('a write whose position is unknown', () => {
    it("should mark its keys at the primary's position read after it when it ran outside a request (a job)", async () => {
      const primary = { position: parseLsn('0/5000') };
      const { redis, markers } = markersWith(primary);

      await markers.around(['article:a'], async () => 'written by a job');

      expect(redis.invalidated['article:a']).toBe(lsnKey(parseLsn('0/5000')));
    });

    it("should mark its keys at the primary's position when its COMMIT's connection died (no position recorded)", async () => {
      const primary = { position: parseLsn('0/5000') };
      const { redis, markers } = markersWith(primary);

      await inRequest((context) =>
        markers
          .around(['article:a'], async () => {
            context.session.startWrite(); // the lease was on the primary; COMMIT failed with the connection
            throw new Error('Connection terminated unexpectedly');
          })
          .catch(() => undefined),
      );

      expect(redis.invalidated['article:a']).toBe(lsnKey(parseLsn('0/5000')));
    });

    it("should not take an earlier write's position of the request for its own", async () => {
      const primary = { position: parseLsn('0/5000') };
      const { redis, markers } = markersWith(primary);

      await inRequest(async (context) => {
        await markers.around(['article:a'], async () => context.session.recordWrite(Promise.resolve(parseLsn('0/1000'))));
        await markers.around(['article:b'], async () => context.session.startWrite()).catch(() => undefined);
      });

      expect(redis.invalidated).toEqual({ 'article:a': lsnKey(parseLsn('0/1000')), 'article:b': lsnKey(parseLsn('0/5000')) });
    });

    it('should mark its keys as written at an unknown position when no primary can tell one (fills refused until one is known)', async () => {
      const { redis, markers } = markersWith({ position: null });

      await markers.around(['article:a'], async () => 'written while the primary is unreachable');

      expect(redis.invalidated['article:a']).toBe(lsnKey(UNKNOWN_POSITION));
    });

    it("should replace an unknown marker by the primary's position once one can be read, and only then", async () => {
      const primary: { position: Lsn | null } = { position: null };
      const { redis, markers } = markersWith(primary);
      await markers.around(['article:a'], async () => 'written while the primary is unreachable');

      await markers.resolveUnknown();
      const stillUnknown = redis.invalidated['article:a'];
      primary.position = parseLsn('0/7000');
      await markers.resolveUnknown();

      expect(stillUnknown).toBe(lsnKey(UNKNOWN_POSITION));
      expect(redis.invalidated['article:a']).toBe(lsnKey(parseLsn('0/7000')));
    });
  });

  describe('an invalidation that fails (Redis unreachable)', () => {
    it("should raise the writer's cache floor to the primary's position when the write's own position is unknown", async () => {
      const primary = { position: parseLsn('0/5000') };
      const { redis, markers } = markersWith(primary);
      redis.down = true;

      const floor = await inRequest(async (context) => {
        await markers.around(['article:a'], async () => context.session.recordWrite(Promise.resolve(null))); // committed, position unreadable
        return context.session.cacheFloor;
      });

      expect(floor).toBe(parseLsn('0/5000'));
    });

    it('should raise the floor to an unknown position when nobody can tell one: its token keeps its first date, so the floor ends with it', async () => {
      const { redis, markers } = markersWith({ position: null });
      redis.down = true;

      const floor = await inRequest(async (context) => {
        await markers.around(['article:a'], async () => context.session.recordWrite(Promise.resolve(null)));
        return context.session.cacheFloor;
      });

      expect(floor).toBe(UNKNOWN_POSITION);
    });

    it('should raise the floor to the write position when it is known', async () => {
      const { redis, markers } = markersWith({ position: parseLsn('0/5000') });
      redis.down = true;

      const floor = await inRequest(async (context) => {
        await markers.around(['article:a'], async () => context.session.recordWrite(Promise.resolve(parseLsn('0/1000'))));
        return context.session.cacheFloor;
      });

      expect(floor).toBe(parseLsn('0/1000'));
    });
  });
});
