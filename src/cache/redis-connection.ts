import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis, RedisOptions } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { DatabaseTopology, parseEndpoint } from '../database/database-topology';
import { ValidFrom } from './valid-from';

const RETRY_MS = 1000;
const SENTINEL_PORT = 26379;

/** REDIS_DB in the URL's path: ioredis takes a database named there over the one in its options. */
function withDatabase(url: string, database: number | undefined): string {
  if (database === undefined) return url;
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Where the master is: REDIS_URL, or wherever the Sentinels say (it moves on failover). */
export function redisOptions(config: AppConfig): { url?: string; options: RedisOptions } {
  const options: RedisOptions = {
    enableOfflineQueue: false, // fail at once while disconnected instead of queueing behind a reconnect
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000), // keep reconnecting, never give up
    // A master demoted under us (a failover that did not close the connection) answers writes with READONLY:
    // reconnect, and the Sentinels name the new one.
    reconnectOnError: (error) => error.message.includes('READONLY'),
    // Commands that concurrent requests issue in the same tick share one socket write: each write through the
    // stack's network also delivers the packet, charged to the writer (a cached GET reads Redis twice). One batch
    // is in flight at a time, and commandTimeout starts when a command is sent: while Redis stalls, a command can
    // take up to twice it (docs/configuration.md).
    enableAutoPipelining: true,
    ...(config.REDIS_DB === undefined ? {} : { db: config.REDIS_DB }),
  };
  if (config.REDIS_SENTINELS.length === 0) return { url: withDatabase(config.REDIS_URL, config.REDIS_DB), options };
  return {
    options: {
      ...options,
      sentinels: config.REDIS_SENTINELS.map((sentinel) => parseEndpoint(sentinel, SENTINEL_PORT)),
      name: config.REDIS_SENTINEL_MASTER,
      // The Sentinels announce +switch-master: drop the connection then rather than at the next failed command.
      failoverDetector: true,
      sentinelCommandTimeout: 1000,
    },
  };
}

/**
 * Connects `redis` again whenever it ends while the app runs. ioredis ends a connection for good, without asking
 * retryStrategy, when its connector fails before there is a stream: with Sentinels, a disconnect while they are
 * being asked where the master is (the failover detector's, on +switch-master, races a reconnect), or every
 * Sentinel unreachable. Seen in the Redis failover test: one app server's cache stayed 'end' for good. Returns
 * the function that stops it.
 */
export function reconnectWhenEnded(redis: Pick<Redis, 'on' | 'connect' | 'status'>, delayMs = RETRY_MS): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  redis.on('end', () => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!stopped && redis.status === 'end') redis.connect().catch(() => undefined);
    }, delayMs);
    timer.unref();
  });
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * The app's one connection to the Redis master, shared by the cache and sticking (src/database/sticking.ts),
 * and the valid-from of the Redis process behind it: a restart, or a failover to a replica that had not
 * received the last writes, loses write markers and remembered positions alike, so both read that bound from
 * here. A connection that closes forgets it (the next may reach another process), and each new one works it
 * out again (positions are only known with REPLICA_ROUTING=aware).
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('RedisCache');
  readonly redis: Redis;
  readonly validFrom: ValidFrom;
  private readonly retryTimer: NodeJS.Timeout;
  private readonly stopReconnecting: () => void;

  constructor(config: AppConfig, topology: DatabaseTopology) {
    const { url, options } = redisOptions(config);
    this.redis = url ? new Redis(url, options) : new Redis(options);
    this.validFrom = new ValidFrom(this.redis, topology);
    this.stopReconnecting = reconnectWhenEnded(this.redis);
    const judged = config.REPLICA_ROUTING === 'aware';
    let lastError = '';
    this.redis.on('error', (error: Error) => {
      if (error.message !== lastError) this.logger.warn(`redis: ${error.message}`);
      lastError = error.message;
    });
    // Before any command can run on a new connection: 'close' comes a reconnect delay and a connect ahead.
    this.redis.on('close', () => this.validFrom.reconnected());
    this.redis.on('ready', () => {
      lastError = '';
      this.validFrom.reconnected();
      if (judged) void this.validFrom.establish();
    });
    // For a valid-from that needed a primary when there was none.
    this.retryTimer = setInterval(() => {
      if (judged && this.redis.status === 'ready' && this.validFrom.current === undefined) void this.validFrom.establish();
    }, RETRY_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.retryTimer);
    this.stopReconnecting();
    this.redis.disconnect();
  }
}
