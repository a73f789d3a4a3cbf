import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { RequestContext } from '../request-context/request-context';

export interface CacheStats {
  hits: number;
  misses: number;
  errors: number;
}

/**
 * Cache-aside over Redis that never makes a request fail: when Redis is down or slow, every command gives up
 * within REDIS_COMMAND_TIMEOUT_MS and counts as a miss, so the request is served from the database.
 */
@Injectable()
export class RedisCache implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisCache.name);
  private readonly redis: Redis;
  /** Concurrent misses of one key share one load: a hot key that expires causes one query, not hundreds. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  /**
   * Keys whose invalidation failed while Redis was unreachable. They are deleted again when it is back, so
   * an entry written before the outage cannot outlive a change made during it.
   */
  private readonly pendingInvalidations = new Set<string>();
  readonly stats: CacheStats = { hits: 0, misses: 0, errors: 0 };

  constructor(config: AppConfig) {
    this.redis = new Redis(config.REDIS_URL, {
      enableOfflineQueue: false, // fail at once while disconnected instead of queueing behind a reconnect
      commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000), // keep reconnecting, never give up
    });
    let lastError = '';
    this.redis.on('error', (error: Error) => {
      if (error.message !== lastError) this.logger.warn(`redis: ${error.message}`);
      lastError = error.message;
    });
    this.redis.on('ready', () => {
      lastError = '';
      void this.flushPendingInvalidations();
    });
  }

  /** ioredis connection state: `ready` when commands can be sent. */
  get status(): string {
    return this.redis.status;
  }

  async ping(): Promise<boolean> {
    return (await this.redis.ping().catch(() => null)) === 'PONG';
  }

  /** The cached value for `key`, or `load()`'s (stored for `ttlSeconds`). Records HIT/MISS on the request. */
  async getOrLoad<T>(key: string, ttlSeconds: number, load: () => Promise<T>, field?: string): Promise<T> {
    const cached = await this.read<T>(key, field);
    const context = RequestContext.current();
    if (cached !== undefined) {
      this.stats.hits++;
      if (context) context.cacheStatus = 'HIT';
      return cached;
    }
    this.stats.misses++;
    if (context) context.cacheStatus = 'MISS';
    const flightKey = field ? `${key}\u0000${field}` : key;
    const pending = this.inFlight.get(flightKey) as Promise<T> | undefined;
    if (pending) return pending;
    const loading = load()
      .then(async (value) => {
        if (value !== null && value !== undefined) await this.write(key, value, ttlSeconds, field);
        return value;
      })
      .finally(() => this.inFlight.delete(flightKey));
    this.inFlight.set(flightKey, loading);
    return loading;
  }

  async invalidate(...keys: string[]): Promise<void> {
    try {
      await this.redis.del(...keys);
    } catch (error) {
      this.stats.errors++;
      keys.forEach((key) => this.pendingInvalidations.add(key));
      this.logger.warn(`invalidation of ${keys.join(', ')} deferred until Redis is back: ${(error as Error).message}`);
    }
  }

  private async read<T>(key: string, field?: string): Promise<T | undefined> {
    if (this.pendingInvalidations.has(key)) return undefined;
    try {
      const raw = field ? await this.redis.hget(key, field) : await this.redis.get(key);
      return raw === null ? undefined : (JSON.parse(raw) as T);
    } catch {
      this.stats.errors++;
      return undefined;
    }
  }

  private async write(key: string, value: unknown, ttlSeconds: number, field?: string): Promise<void> {
    if (this.pendingInvalidations.has(key)) return;
    try {
      const json = JSON.stringify(value);
      if (field) {
        await this.redis.multi().hset(key, field, json).expire(key, ttlSeconds, 'NX').exec();
      } else {
        await this.redis.set(key, json, 'EX', ttlSeconds);
      }
    } catch {
      this.stats.errors++;
    }
  }

  private async flushPendingInvalidations(): Promise<void> {
    const keys = [...this.pendingInvalidations];
    if (keys.length === 0) return;
    try {
      await this.redis.del(...keys);
      keys.forEach((key) => this.pendingInvalidations.delete(key));
      this.logger.log(`applied ${keys.length} deferred invalidation(s)`);
    } catch {
      // still unreachable: the next 'ready' tries again
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}
