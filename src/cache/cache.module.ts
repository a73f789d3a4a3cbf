import { Global, Module } from '@nestjs/common';
import { RedisCache } from './redis-cache';
import { RedisConnection } from './redis-connection';

@Global()
@Module({ providers: [RedisConnection, RedisCache], exports: [RedisConnection, RedisCache] })
export class CacheModule {}
