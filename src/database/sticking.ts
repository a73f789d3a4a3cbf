import { Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisConnection } from '../cache/redis-connection';
import { RequestContext } from '../request-context/request-context';
import { ConsistencyTokens } from './consistency-tokens';
import { fixedWidthHex } from './lsn';

/** Keep the higher of two remembered positions: concurrent requests of one client may answer out of order. */
const REMEMBER = `
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, 16) >= string.sub(ARGV[1], 1, 16) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;

const keyOf = (identity: string) => `sticking:${identity}`;

type StickingRedis = Redis & { stickingRemember(key: string, value: string, ttl: number): Promise<number> };

/**
 * Read-your-writes for clients that keep no token, only who they are (GitLab's sticking by user): after a
 * request by an identified client (a signed-in user) wrote, its response's consistency token is remembered in
 * Redis under that identity for the token's lifetime, and that identity's later requests, on any app server,
 * require it as if the client had sent it. Redis down or slow: tokens only (a lookup gives up after
 * REDIS_COMMAND_TIMEOUT_MS); a client that returns its token keeps the guarantee either way.
 *
 * A Redis restart, or a failover to a replica the last writes had not reached, loses remembered positions
 * as it loses the cache's write markers; the cache's valid-from for that master (RedisConnection) is past every
 * one of them, so an identified request also requires it (a no-op once the replicas have replayed it).
 */
@Injectable()
export class Sticking {
  private readonly logger = new Logger(Sticking.name);
  private readonly redis: StickingRedis;

  constructor(
    private readonly connection: RedisConnection,
    private readonly tokens: ConsistencyTokens,
  ) {
    // The cache's connection: the valid-from read after a lookup is that of the master that answered it, or a later one's.
    this.redis = connection.redis as StickingRedis;
    this.redis.defineCommand('stickingRemember', { numberOfKeys: 1, lua: REMEMBER });
  }

  /**
   * The current request is by `identity` (e.g. `user:42`): its reads see that identity's writes made through
   * any app server, and what it writes is remembered for it. Call it once the client is authenticated.
   */
  async stickTo(identity: string): Promise<void> {
    const context = RequestContext.current();
    if (!context || !this.tokens.enabled) return;
    context.session.identify(identity);
    try {
      const remembered = await this.redis.get(keyOf(identity));
      if (remembered) this.tokens.accept(remembered.slice(17), context);
      // Unknown (a master just met): as with Redis down, the remembered token is all there is.
      const validFrom = this.connection.validFrom.current;
      if (validFrom) context.session.requirePosition(BigInt(`0x${validFrom}`));
    } catch (error) {
      this.logger.debug(`no remembered position for ${identity}: ${(error as Error).message}`);
    }
  }

  /** After the response's token is made: remembered for the request's identity when a write of the request committed. */
  async remember(context: RequestContext, token: string | undefined): Promise<void> {
    const identity = context.session.identifiedAs;
    // Only a commit's token: one that names a replica (no commit) would be a second claim beside the client's own.
    if (!token || !identity || !context.session.committedData) return;
    const position = await context.session.positionSeen();
    if (position === undefined) return;
    try {
      await this.redis.stickingRemember(keyOf(identity), `${fixedWidthHex(position)} ${token}`, this.tokens.ttlSeconds);
    } catch (error) {
      this.logger.debug(`could not remember ${identity}'s position: ${(error as Error).message}`);
    }
  }
}
