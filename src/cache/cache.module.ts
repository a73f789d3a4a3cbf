import { Global, Module } from '@nestjs/common';
import { RedisCache } from './redis-cache';

@Global()
@Module({ providers: [RedisCache], exports: [RedisCache] })
export class CacheModule {}
