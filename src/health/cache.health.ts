import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisCache } from '../cache/redis-cache';

/** Degraded, never down, when Redis is unreachable: cached routes then read the database. */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly cache: RedisCache,
  ) {}

  isHealthy<const Key extends string>(key: Key) {
    const session = this.health.check(key);
    const connection = this.cache.status;
    return connection === 'ready' ? session.up({ connection }) : session.degraded({ connection });
  }
}
