import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { AppConfig } from '../config/app-config';
import { DatabaseTopology } from '../database/database-topology';
import { Lsn, UNKNOWN_POSITION } from '../database/lsn';
import { TopologyMonitor } from '../database/topology-monitor';
import { RequestContext } from '../request-context/request-context';
import { invalidationsOf, lsnKey, markerOf, VALID_FROM_KEY, writersOf } from './cache-keys';
import { RedisConnection } from './redis-connection';
import { ValidFrom } from './valid-from';
import { WriteMarkers } from './write-markers';

export interface CacheStats {
  hits: number;
  misses: number;
  errors: number;
  /** Fills refused because the data was read before the key's last invalidation had replayed there. */
  skippedFills: number;
  /** Entries not served because the client's token does not trust them (an invalidation it needs is pending). */
  bypassed: number;
}

/**
 * What is stored: the value, and bounds of the WAL position it was read at (16 hex digits): `lsn` below it
 * (fills are judged by it), `seen` above it (a client served the entry has seen up to there); `h`, the
 * history those positions belong to (see historyNow()).
 */
interface Entry<T> {
  lsn: string;
  seen?: string;
  h?: string;
  v: T;
}

/**
 * A key's count of invalidations as read before a load ('' for none), and the connection it was read on
 * (ValidFrom.connectionNumber): a fill is judged by it on that connection only. After a Redis failover the new
 * master may lack the invalidations that landed on the old one during the load (replication is asynchronous),
 * so its count can match an old one that no longer says "none since".
 */
interface InvalidationCount {
  count: string;
  connection: number;
}

const seenIn = (entry: Entry<unknown>): Lsn | undefined => {
  const bound = entry.seen || entry.lsn;
  return bound ? BigInt(`0x${bound}`) : undefined;
};

// Store only if no write to the key is under way, no invalidation landed during the load (the count is still
// ARGV[6], as read before it), and the data was read at or after the key's last invalidation (the write's LSN)
// and valid-from. -1: no valid-from (a Redis that lost its data): nothing is stored until an app has set one.
// ARGV[5] 'blind': REPLICA_ROUTING=fixed, no positions; its entries have none ('') and aware apps treat them as
// absent.
const FILL = `
if redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
local marker = redis.call('GET', KEYS[2])
if marker and marker > ARGV[1] then return 0 end
if ARGV[5] ~= 'blind' then
  if (redis.call('GET', KEYS[5]) or '') ~= ARGV[6] then return 0 end
  local validFrom = redis.call('GET', KEYS[3])
  local colon = validFrom and string.find(validFrom, ':', 1, true)
  if not colon then return -1 end
  if string.sub(validFrom, colon + 1) > ARGV[1] then return 0 end
end
if ARGV[4] == '' then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
else redis.call('HSET', KEYS[1], ARGV[4], ARGV[2]); redis.call('EXPIRE', KEYS[1], ARGV[3], 'NX') end
return 1`;

const RETRY_MS = 1000;

type ScriptedRedis = Redis & {
  cacheFill(
    entryKey: string,
    markerKey: string,
    validFromKey: string,
    writersKey: string,
    invalidationsKey: string,
    lsn: string,
    json: string,
    ttl: number,
    field: string,
    mode: 'judged' | 'blind',
    invalidations: string,
  ): Promise<number>;
};

/**
 * Cache-aside over Redis that replication cannot poison and that never fails a request.
 *
 * The race it closes: write → invalidate → a read on a lagging replica refills the entry with the old row,
 * stale until its TTL. Here an invalidation records the write's LSN next to the key, a fill carries the
 * position its data was read at, and Redis refuses (atomically) a fill older than the key's last
 * invalidation. A write also closes its keys before it commits (invalidating()): from then until its
 * invalidation lands they have no entry and take no fill; and a fill is refused when an invalidation landed
 * while it loaded, whatever its positions claim (on the primary they can count a commit its read could not
 * see yet: in synchronous replication, one waiting for its standby). So whoever has seen a write, in the
 * database or through the cache, never gets an older entry, and token holders keep the cache. Only a write whose
 * invalidation failed (Redis unreachable) puts a floor in its client's token: entries read before that write
 * are not served to it. A Redis that restarted has lost its markers, and so may a replica promoted in a
 * failover (replication is asynchronous): entries read before the primary's position when an app first saw
 * that master are void (`cache:valid-from`, see ValidFrom), and until an app has set it nothing is filled.
 * Positions belong to one history of one cluster: entries read on another timeline (before a database
 * failover, whose rows may be writes it lost) or another cluster are not served.
 *
 * When Redis is down or slow, every command gives up within REDIS_COMMAND_TIMEOUT_MS and counts as a miss.
 */
@Injectable()
export class RedisCache implements OnApplicationShutdown {
  private readonly redis: ScriptedRedis;
  /** Concurrent misses of one key share one load: a hot key that expires causes one query, not hundreds. */
  private readonly inFlight = new Map<string, Promise<Entry<unknown>>>();
  private readonly markers: WriteMarkers;
  private readonly validFrom: ValidFrom;
  private readonly retryTimer: NodeJS.Timeout;
  /** Entries judged by positions (REPLICA_ROUTING=aware); with other routings there are none to judge by. */
  private readonly judged: boolean;
  readonly stats: CacheStats = { hits: 0, misses: 0, errors: 0, skippedFills: 0, bypassed: 0 };

  constructor(
    connection: RedisConnection,
    config: AppConfig,
    topology: DatabaseTopology,
    private readonly monitor: TopologyMonitor,
  ) {
    this.redis = connection.redis as ScriptedRedis;
    this.redis.defineCommand('cacheFill', { numberOfKeys: 5, lua: FILL });
    this.judged = config.REPLICA_ROUTING === 'aware';
    this.markers = new WriteMarkers(
      this.redis,
      {
        // A marker must outlive any entry and any replica still eligible to serve the old row.
        markerSeconds: Math.max(config.CACHE_TTL_SECONDS, config.CACHE_LIST_TTL_SECONDS, config.REPLICA_MAX_LAG_SECONDS) + 60,
        // A write's count must outlast its transaction: statements are cut at DB_STATEMENT_TIMEOUT_MS.
        writeSeconds: Math.ceil((config.DB_STATEMENT_TIMEOUT_MS * 4) / 1000) + 5,
      },
      () => this.stats.errors++,
      this.judged ? () => topology.primary?.positionAfter(performance.now()) ?? Promise.resolve(null) : undefined,
    );
    this.validFrom = connection.validFrom;
    this.redis.on('ready', () => void this.markers.pending.retry());
    // Also when the connection never dropped (commands timed out on a busy or paused server).
    this.retryTimer = setInterval(() => {
      if (this.redis.status === 'ready') void this.markers.pending.retry().then(() => this.markers.resolveUnknown());
    }, RETRY_MS).unref();
  }

  /** ioredis connection state: `ready` when commands can be sent. */
  get status(): string {
    return this.redis.status;
  }

  /**
   * The cached value for `key` (or the hash `key`'s `field`), else `load()`'s, stored for `ttlSeconds` when
   * replication allows. Records HIT/MISS and the entry's position on the request.
   */
  async getOrLoad<T>(key: string, ttlSeconds: number, load: () => Promise<T>, field?: string): Promise<T> {
    const context = RequestContext.current();
    const session = context?.session;
    const read = await this.readEntry<T>(key, field);
    // A strong read never takes an entry, but may fill one (judged like any other).
    const cached = session?.primaryReason() === 'primary:strong' ? undefined : read.entry;
    if (cached && !this.olderThanClient(cached, session)) {
      this.stats.hits++;
      if (context) context.cacheStatus = 'HIT';
      session?.observe(seenIn(cached));
      return cached.v;
    }
    if (cached) this.stats.bypassed++;
    this.stats.misses++;
    if (context) context.cacheStatus = 'MISS';
    // A hit needs none of this: the key's last write and count are read only when there is a load to judge.
    const { lastWrite, invalidations } = read.reachable ? await this.readJudge(key) : {};
    // Whoever reads the key while its last write is remembered reads at least that write, writer or not.
    if (lastWrite !== undefined) session?.requirePosition(lastWrite);
    const freshnessMatters = session?.freshnessMatters ?? false;
    const flightKey = `${key}\u0000${field ?? ''}`;
    // A request with its own freshness needs does its own read: the shared one may be older than its token.
    const shared = freshnessMatters ? undefined : (this.inFlight.get(flightKey) as Promise<Entry<T>> | undefined);
    if (shared) {
      const entry = await shared;
      session?.observe(seenIn(entry));
      return entry.v;
    }
    const loading = this.loadAndFill(key, ttlSeconds, load, invalidations, field);
    if (!freshnessMatters) {
      this.inFlight.set(flightKey, loading);
      void loading.finally(() => this.inFlight.delete(flightKey)).catch(() => undefined);
    }
    return (await loading).v;
  }

  /**
   * Runs `write` (a repository save, update, delete or transaction that changes what `keys` hold) with those
   * keys closed to the cache: their entries are dropped and fills refused from before it commits until its
   * invalidation has landed (see WriteMarkers). If Redis cannot be reached first, the write goes ahead (the
   * cache must not stop writes).
   */
  invalidating<T>(keys: string[], write: () => Promise<T>): Promise<T> {
    return this.markers.around(keys, write);
  }

  private olderThanClient(entry: Entry<unknown>, session: RequestContext['session'] | undefined): boolean {
    if (session?.tokenDistrust) return true;
    const floor = session?.cacheFloor;
    return floor !== undefined && entry.lsn < lsnKey(floor); // fixed-width hex: '' (no position) sorts first
  }

  /**
   * The cluster history positions belong to now: its system identifier and the primary's timeline. After a
   * failover (a new timeline) or on another cluster, an entry's positions say nothing, and its rows may be
   * writes the failover lost: entries of another history are not served.
   */
  private historyNow(): string | undefined {
    const { systemIdentifier, timeline } = this.monitor.primaryState;
    return systemIdentifier === null || timeline === null ? undefined : `${systemIdentifier}/${timeline}`;
  }

  /** `invalidations`: the key's count of invalidations, read before the load (undefined: not known). */
  private async loadAndFill<T>(key: string, ttlSeconds: number, load: () => Promise<T>, invalidations: InvalidationCount | undefined, field?: string): Promise<Entry<T>> {
    const session = RequestContext.current()?.session;
    const history = this.historyNow();
    // Its reads get their positions read behind them: a fill is judged by an upper bound of what they saw.
    const mark = session?.beginLoad();
    let value: T;
    try {
      value = await load();
    } finally {
      session?.endLoad();
    }
    await session?.settled();
    // Judged fills need an upper bound of what their reads saw; blind ones (other routings) none.
    if (this.judged && session && mark !== undefined) await session.boundReadsSince(mark);
    // Judged by this load's own reads: an earlier read of the request (on the primary, say) proves nothing of them.
    const reads = session && mark !== undefined ? session.readsSince(mark) : { lowerBound: undefined, bounded: true };
    const entry = { lsn: lsnKey(reads.lowerBound), seen: lsnKey(session?.seenLsn), ...(this.judged ? { h: history } : {}), v: value };
    // No upper bound of what the read saw (its position unreadable, or a write's unknown): none to hand on.
    const bounded = reads.bounded && session?.seenLsn !== UNKNOWN_POSITION;
    // A failover seen during the load: its reads may be of the old timeline. A new Redis connection since the
    // count was read: it may be another master's, which lacks invalidations that landed during the load.
    const counted = invalidations !== undefined && invalidations.connection === this.validFrom.connectionNumber;
    const judgeable = bounded && counted && history !== undefined && history === this.historyNow();
    // A report's reads (an analytics replica, as far behind as its reports keep it) never fill what live reads take.
    const report = session?.consistency.kind === 'analytics';
    if (value === null || value === undefined || report || this.markers.pending.has(key) || (this.judged && !judgeable)) return entry;
    try {
      const mode = this.judged ? 'judged' : 'blind';
      const json = JSON.stringify(entry);
      const stored = await this.redis.cacheFill(key, markerOf(key), VALID_FROM_KEY, writersOf(key), invalidationsOf(key), entry.lsn, json, ttlSeconds, field ?? '', mode, invalidations?.count ?? '');
      if (stored !== 1) this.stats.skippedFills++;
      if (stored === -1) this.validFrom.lost();
    } catch {
      this.stats.errors++;
    }
    return entry;
  }

  /** The entry, if there is one this app may serve; `reachable`: Redis answered (else judging is no use either). */
  private async readEntry<T>(key: string, field?: string): Promise<{ entry?: Entry<T>; reachable: boolean }> {
    if (this.markers.pending.has(key)) return { reachable: false };
    const validFrom = this.validFrom.current;
    let raw: string | null;
    try {
      raw = field ? await this.redis.hget(key, field) : await this.redis.get(key);
    } catch {
      this.stats.errors++;
      return { reachable: false };
    }
    if (raw === null) return { reachable: true };
    const entry = JSON.parse(raw) as Entry<T>;
    if (!this.judged) return { entry, reachable: true };
    // Read before valid-from (or with no position at all): it may predate a write whose marker is gone. Read
    // on another history: its rows may not exist on this one.
    const usable = validFrom !== undefined && entry.lsn >= validFrom && entry.h !== undefined && entry.h === this.historyNow();
    return usable ? { entry, reachable: true } : { reachable: true };
  }

  /**
   * Judged entries only: the position of the key's last write while its marker lives, and the key's count of
   * invalidations ('' for none), read before the load they judge.
   */
  private async readJudge(key: string): Promise<{ lastWrite?: Lsn; invalidations?: InvalidationCount }> {
    if (!this.judged) return {};
    const connection = this.validFrom.connectionNumber;
    try {
      const [marker, count] = await this.redis.mget(markerOf(key), invalidationsOf(key));
      return { lastWrite: marker ? BigInt(`0x${marker}`) : undefined, invalidations: { count: count ?? '', connection } };
    } catch {
      this.stats.errors++;
      return {};
    }
  }

  /**
   * The request's reads from now on see the last write to each of `keys` while its marker lives (made through
   * invalidating(), by anyone): for a resource read without the cache — a user looked up by email right after
   * registering, a profile by username right after sign-up. Redis unreachable: nothing more is required.
   */
  async seeWritesTo(...keys: string[]): Promise<void> {
    const session = RequestContext.current()?.session;
    if (!session || !this.judged || keys.length === 0) return;
    try {
      const markers = await this.redis.mget(keys.map(markerOf));
      for (const marker of markers) if (marker) session.requirePosition(BigInt(`0x${marker}`));
    } catch {
      this.stats.errors++;
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.retryTimer);
  }
}
