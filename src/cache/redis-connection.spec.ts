import { AppConfig } from '../config/app-config';
import { EventEmitter } from 'node:events';
import { reconnectWhenEnded, redisOptions } from './redis-connection';

describe('redisOptions', () => {
  it('should connect to REDIS_URL when no Sentinel is set', () => {
    const { url, options } = redisOptions(AppConfig.fromEnv({ REDIS_URL: 'redis://cache.internal:6380' }));

    expect(url).toBe('redis://cache.internal:6380');
    expect(options.sentinels).toBeUndefined();
  });

  it('should ask the Sentinels for the master by its name when REDIS_SENTINELS is set, 26379 unless a port is given', () => {
    const config = AppConfig.fromEnv({ REDIS_URL: 'redis://ignored:6379', REDIS_SENTINELS: 's1, s2:26380', REDIS_SENTINEL_MASTER: 'cache' });

    const { url, options } = redisOptions(config);

    expect(url).toBeUndefined();
    expect(options).toMatchObject({ sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }], name: 'cache' });
  });

  it('should select REDIS_DB whichever way it connects, and leave the database to REDIS_URL when it is unset', () => {
    for (const env of [{ REDIS_DB: '3' }, { REDIS_DB: '3', REDIS_SENTINELS: 's1' }]) {
      expect(redisOptions(AppConfig.fromEnv(env)).options.db).toBe(3);
    }
    expect(redisOptions(AppConfig.fromEnv({ REDIS_URL: 'redis://cache.internal:6380/2' })).options).not.toHaveProperty('db');
    // ioredis takes the URL's database over its options' db: REDIS_DB must replace it there.
    expect(redisOptions(AppConfig.fromEnv({ REDIS_URL: 'redis://:secret@cache.internal:6380/2', REDIS_DB: '1' })).url).toBe('redis://:secret@cache.internal:6380/1');
    expect(() => AppConfig.fromEnv({ REDIS_DB: '16' })).toThrow(/REDIS_DB/);
  });

  it('should fail fast while no master answers, whichever way it connects (the cache fails open)', () => {
    for (const env of [{}, { REDIS_SENTINELS: 's1' }]) {
      const { options } = redisOptions(AppConfig.fromEnv(env));

      expect(options).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    }
  });

  it("should send concurrent requests' commands in shared writes, whichever way it connects", () => {
    for (const env of [{}, { REDIS_SENTINELS: 's1' }]) {
      expect(redisOptions(AppConfig.fromEnv(env)).options.enableAutoPipelining).toBe(true);
    }
  });

  it('should reconnect when a demoted master answers READONLY, and not on other errors', () => {
    const { options } = redisOptions(AppConfig.fromEnv({ REDIS_SENTINELS: 's1' }));
    const reconnect = options.reconnectOnError as (error: Error) => boolean;

    expect(reconnect(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(reconnect(new Error('ERR unknown command'))).toBe(false);
  });
});

describe('reconnectWhenEnded', () => {
  /** What ioredis shows of a connection: its status, its events, connect(). */
  const connection = () => Object.assign(new EventEmitter(), { status: 'ready', connect: jest.fn(async () => undefined) });

  it('should connect again a connection that ioredis ended on its own, after the delay', async () => {
    const redis = connection();
    reconnectWhenEnded(redis as never, 10);

    redis.status = 'end';
    redis.emit('end');
    await new Promise((resolve) => setTimeout(resolve, 30));

    expect(redis.connect).toHaveBeenCalledTimes(1);
  });

  it('should leave an ended connection alone once stopped (the app shutting down)', async () => {
    const redis = connection();
    const stop = reconnectWhenEnded(redis as never, 10);

    stop();
    redis.status = 'end';
    redis.emit('end');
    await new Promise((resolve) => setTimeout(resolve, 30));

    expect(redis.connect).not.toHaveBeenCalled();
  });
});
