import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Lsn, UNKNOWN_POSITION } from '../database/lsn';
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

// A position read after the key's invalidations as counted then (ARGV[4]) replaces its unknown marker; 0 when
// another invalidation landed since (it may be of a write after that position: the next round tries again).
const RESOLVE = `
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[4] then return 0 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
return 1`;

const UNKNOWN_MARKER = lsnKey(UNKNOWN_POSITION);

/** A pipeline of the scripts that take keys in batches. */
type ScriptedPipeline = {
  cacheMark(entryKey: string, writersKey: string, ttl: number): unknown;
  cacheInvalidate(entryKey: string, markerKey: string, writersKey: string, invalidationsKey: string, lsn: string, markerTtl: number, uncount: '1' | '0'): unknown;
  cacheResolve(markerKey: string, invalidationsKey: string, unknown: string, lsn: string, markerTtl: number, invalidations: string): unknown;
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
 *
 * A write whose position the request did not record (a job outside any request, a COMMIT whose connection
 * died, a position query that failed) is marked at the primary's position read after it: at or past its
 * commit, if it committed. With no primary to ask, its keys are marked at an unknown position, which refuses
 * every fill, until resolveUnknown() can replace it with one.
 */
export class WriteMarkers {
  private readonly logger = new Logger('RedisCache');
  readonly pending: PendingInvalidations;
  /** Keys marked at an unknown position, until a primary can tell one (with the order of their last such write). */
  private readonly unresolved = new Map<string, number>();
  private unknownWrites = 0;

  constructor(
    private readonly redis: Redis,
    private readonly ttls: WriteMarkerTtls,
    private readonly onError: () => void,
    /** The primary's position, read now (undefined: positions are not tracked, REPLICA_ROUTING=fixed). */
    private readonly primaryPosition?: () => Promise<Lsn | null>,
  ) {
    redis.defineCommand('cacheMark', { numberOfKeys: 2, lua: MARK });
    redis.defineCommand('cacheInvalidate', { numberOfKeys: 4, lua: INVALIDATE });
    redis.defineCommand('cacheResolve', { numberOfKeys: 2, lua: RESOLVE });
    this.pending = new PendingInvalidations((entries) => this.apply(entries));
  }

  /** Runs `write` with `keys` closed to the cache until its invalidation has landed. */
  async around<T>(keys: string[], write: () => Promise<T>): Promise<T> {
    const marked = await this.mark(keys);
    const session = RequestContext.current()?.session;
    // The request's write position so far: if `write` adds none, its own is unknown (see positionOf).
    await session?.settled();
    const before = session?.writeLsn;
    try {
      return await write();
    } finally {
      await this.invalidate(keys, marked, before);
    }
  }

  /**
   * Records the write's position against `keys` and drops their entries; `marked`: uncount the write.
   * `before`: the request's write position before this write began.
   */
  private async invalidate(keys: string[], marked: boolean, before: Lsn | undefined): Promise<void> {
    const session = RequestContext.current()?.session;
    await session?.settled();
    const writeLsn = session?.writeLsn;
    const position = await this.positionOf(writeLsn === before ? undefined : writeLsn);
    const lsn = lsnKey(position);
    if (position === UNKNOWN_POSITION) keys.forEach((key) => this.unresolved.set(key, ++this.unknownWrites));
    try {
      await this.apply(
        keys.map((key) => [key, lsn]),
        marked,
      );
    } catch (error) {
      this.onError();
      // A floor at an unknown position voids every entry for the client, and tokens carry floors on: only when
      // the write's own position is unknown, whose token keeps its first date (so the floor lapses with it).
      const floor = position === UNKNOWN_POSITION && writeLsn !== UNKNOWN_POSITION ? undefined : position;
      if (session && floor !== undefined) session.raiseCacheFloor(floor);
      this.pending.defer(keys, lsn);
      this.logger.warn(`invalidation of ${keys.join(', ')} deferred until Redis is back: ${(error as Error).message}`);
    }
  }

  /**
   * The write's own position when the request recorded one; else the primary's, read after the write (at or
   * past its commit); else, with no primary to ask, unknown. Without position tracking: none.
   */
  private async positionOf(recorded: Lsn | undefined): Promise<Lsn | undefined> {
    if (recorded !== undefined && recorded !== UNKNOWN_POSITION) return recorded;
    if (!this.primaryPosition) return recorded;
    return (await this.primaryPosition().catch(() => null)) ?? UNKNOWN_POSITION;
  }

  /** Replaces the unknown markers left by writes whose position nobody could tell, once the primary can. */
  async resolveUnknown(): Promise<void> {
    // Still pending: its unknown marker has not reached Redis yet; resolved once it has.
    const unresolved = [...this.unresolved].filter(([key]) => !this.pending.has(key));
    const keys = unresolved.map(([key]) => key);
    if (keys.length === 0 || !this.primaryPosition) return;
    try {
      // Counted before the position is read: an invalidation that lands after it may be of a later write.
      const counts = await this.redis.mget(keys.map(invalidationsOf));
      const position = await this.primaryPosition().catch(() => null);
      if (position === null) return;
      const pipeline = this.redis.pipeline() as unknown as ScriptedPipeline;
      keys.forEach((key, i) =>
        pipeline.cacheResolve(markerOf(key), invalidationsOf(key), UNKNOWN_MARKER, lsnKey(position), this.ttls.markerSeconds, counts[i] ?? '0'),
      );
      const results = (await pipeline.exec()) ?? [];
      // Not a key marked unknown again meanwhile: that write may be after the position.
      unresolved.forEach(([key, order], i) => results[i]?.[1] === 1 && this.unresolved.get(key) === order && this.unresolved.delete(key));
    } catch {
      // Redis unreachable: the next retry tries again
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
