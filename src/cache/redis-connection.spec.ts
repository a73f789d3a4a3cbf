import { AppConfig } from '../config/app-config';
import { redisOptions } from './redis-connection';

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

  it('should fail fast while no master answers, whichever way it connects (the cache fails open)', () => {
    for (const env of [{}, { REDIS_SENTINELS: 's1' }]) {
      const { options } = redisOptions(AppConfig.fromEnv(env));

      expect(options).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    }
  });

  it('should reconnect when a demoted master answers READONLY, and not on other errors', () => {
    const { options } = redisOptions(AppConfig.fromEnv({ REDIS_SENTINELS: 's1' }));
    const reconnect = options.reconnectOnError as (error: Error) => boolean;

    expect(reconnect(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(reconnect(new Error('ERR unknown command'))).toBe(false);
  });
});
