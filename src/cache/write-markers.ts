import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { UNKNOWN_POSITION } from '../database/lsn';
import { RequestContext } from '../request-context/request-context';
import { invalidationsOf, lsnKey, markerOf, writersOf } from './cache-keys';
import { PendingInvalidations } from './pending-invalidations';

// A write begins: count it (until its invalidation, or the TTL if its app dies), and drop the entry.
const MARK = `
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1`;

// Record the write's LSN (never lowering it), count the invalidation, drop the entry, and with ARGV[3] '1'
// uncount the write.
const INVALIDATE = `
local marker = redis.call('GET', KEYS[2])
if ARGV[1] ~= '' and (not marker or marker < ARGV[1]) then redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2]) end
redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], ARGV[2])
redis.call('DEL', KEYS[1])
if ARGV[3] == '1' and redis.call('DECR', KEYS[3]) <= 0 then redis.call('DEL', KEYS[3]) end
return 1`;

/** A pipeline of the scripts that take keys in batches. */
type ScriptedPipeline = {
  cacheMark(entryKey: string, writersKey: string, ttl: number): unknown;
  cacheInvalidate(entryKey: string, markerKey: string, writersKey: string, invalidationsKey: string, lsn: string, markerTtl: number, uncount: '1' | '0'): unknown;
  exec(): Promise<[Error | null, unknown][] | null>;
};

export interface WriteMarkerTtls {
  /** How long a key's write position is kept: longer than any entry, and any replica still eligible, lives. */
  markerSeconds: number;
  /** How long a write counts as under way if its app dies before invalidating: longer than its transaction. */
  writeSeconds: number;
}

/**
 * The write-marking protocol: a write closes its keys before it commits (their entries dropped, fills refused
 * while the count stands) and, once committed, records its position as each key's marker, which fills read
 * before it can never pass. So whoever has seen the write — in the database or through the cache — never
 * finds an older entry. A failed invalidation is retried (PendingInvalidations), and the writer's own token
 * gets a cache floor meanwhile.
 */
export class WriteMarkers {
  private readonly logger = new Logger('RedisCache');
  readonly pending: PendingInvalidations;

  constructor(
    private readonly redis: Redis,
    private readonly ttls: WriteMarkerTtls,
    private readonly onError: () => void,
  ) {
    redis.defineCommand('cacheMark', { numberOfKeys: 2, lua: MARK });
    redis.defineCommand('cacheInvalidate', { numberOfKeys: 4, lua: INVALIDATE });
    this.pending = new PendingInvalidations((entries) => this.apply(entries));
  }

  /** Runs `write` with `keys` closed to the cache until its invalidation has landed. */
  async around<T>(keys: string[], write: () => Promise<T>): Promise<T> {
    const marked = await this.mark(keys);
    try {
      return await write();
    } finally {
      await this.invalidate(keys, marked);
    }
  }

  /** Records the request's write position against `keys` and drops their entries; `marked`: uncount the write. */
  async invalidate(keys: string[], marked: boolean): Promise<void> {
    const session = RequestContext.current()?.session;
    await session?.settled();
    const writeLsn = session?.writeLsn;
    const lsn = lsnKey(writeLsn);
    try {
      await this.apply(
        keys.map((key) => [key, lsn]),
        marked,
      );
    } catch (error) {
      this.onError();
      // An unknown position sends the client to the primary already: a floor there would void every entry for good.
      if (session && writeLsn !== undefined && writeLsn !== UNKNOWN_POSITION) session.raiseCacheFloor(writeLsn);
      this.pending.defer(keys, lsn);
      this.logger.warn(`invalidation of ${keys.join(', ')} deferred until Redis is back: ${(error as Error).message}`);
    }
  }

  private async mark(keys: string[]): Promise<boolean> {
    const pipeline = this.redis.pipeline() as unknown as ScriptedPipeline;
    for (const key of keys) pipeline.cacheMark(key, writersOf(key), this.ttls.writeSeconds);
    try {
      const results = await pipeline.exec();
      return !results?.some(([error]) => error);
    } catch {
      this.onError();
      return false;
    }
  }

  private async apply(entries: [string, string][], marked = false): Promise<void> {
    const pipeline = this.redis.pipeline() as unknown as ScriptedPipeline;
    for (const [key, lsn] of entries) {
      pipeline.cacheInvalidate(key, markerOf(key), writersOf(key), invalidationsOf(key), lsn, this.ttls.markerSeconds, marked ? '1' : '0');
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }
}
