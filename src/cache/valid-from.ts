import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import type { DatabaseTopology } from '../database/database-topology';
import { lsnKey, VALID_FROM_KEY } from './cache-keys';

// Set this process's valid-from unless another app already did (same run id: keep the higher).
const RAISE_VALID_FROM = `
local current = redis.call('GET', KEYS[1])
local prefix = ARGV[1] .. ':'
if current and string.sub(current, 1, #prefix) == prefix and string.sub(current, #prefix + 1) >= ARGV[2] then return current end
redis.call('SET', KEYS[1], prefix .. ARGV[2])
return prefix .. ARGV[2]`;

/**
 * What survives a Redis restart: `cache:valid-from` = `<run_id>:<lsn>`, entries read before `lsn` are void for
 * this Redis process. A Redis that restarted lost its write markers (or came back with old ones from a
 * snapshot), so the first app to see the new run id sets `lsn` to the primary's position: every write whose
 * marker may be gone is before it. Until it is known, no entry is served and none is filled.
 */
export class ValidFrom {
  private readonly logger = new Logger('RedisCache');
  private position?: string;
  /** Counts connections: a valid-from worked out for an earlier one is not used on a later one. */
  private connection = 0;

  constructor(
    private readonly redis: Redis,
    private readonly topology: DatabaseTopology,
  ) {}

  /** 16 hex digits, or undefined while not known on this connection. */
  get current(): string | undefined {
    return this.position;
  }

  /** A new connection: it may be another Redis process now. */
  reconnected(): void {
    this.position = undefined;
    this.connection++;
  }

  /** A fill found none in Redis (it lost its data): work it out again. */
  lost(): void {
    this.position = undefined;
  }

  /** Reads this Redis process's valid-from, or sets it (to the primary's position now) if it has none yet. */
  async establish(): Promise<void> {
    const connection = this.connection;
    try {
      // Without a run id (a server that hides INFO) every connection counts as a new Redis: safe, colder.
      const runId = /run_id:(\w+)/.exec(await this.redis.info('server'))?.[1] ?? `unnamed-${connection}-${Date.now()}`;
      const current = await this.redis.get(VALID_FROM_KEY);
      if (connection !== this.connection) return;
      if (current?.startsWith(`${runId}:`)) {
        this.position = current.slice(runId.length + 1);
        return;
      }
      // After the entries' positions were read: a position read now is past every write whose marker is gone.
      const position = await this.topology.primary?.positionAfter(performance.now());
      if (position === null || position === undefined) return; // no primary now: the caller tries again
      if (connection !== this.connection) return;
      const stored = await this.redis.eval(RAISE_VALID_FROM, 1, VALID_FROM_KEY, runId, lsnKey(position));
      if (connection !== this.connection) return;
      this.position = String(stored).slice(runId.length + 1);
      this.logger.log(`Redis ${runId.slice(0, 8)} is new to the cache: entries read before ${this.position} are void`);
    } catch {
      // Redis unreachable: the next connection or retry tries again
    }
  }
}
