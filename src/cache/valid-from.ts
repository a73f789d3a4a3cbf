import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import type { DatabaseTopology } from '../database/database-topology';
import { lsnKey, VALID_FROM_KEY } from './cache-keys';

// Set this master's valid-from unless another app already did (same replication id: keep the higher).
const RAISE_VALID_FROM = `
local current = redis.call('GET', KEYS[1])
local prefix = ARGV[1] .. ':'
if current and string.sub(current, 1, #prefix) == prefix and string.sub(current, #prefix + 1) >= ARGV[2] then return current end
redis.call('SET', KEYS[1], prefix .. ARGV[2])
return prefix .. ARGV[2]`;

/**
 * What survives a Redis restart or failover: `cache:valid-from` = `<master_replid>:<lsn>`, entries read before
 * `lsn` are void for this master. A Redis that restarted lost its write markers (or came back with old ones
 * from a snapshot), and a replica promoted by Sentinel may lack the last ones (replication is asynchronous), so
 * the first app to see a new master sets `lsn` to the primary's position: every write whose marker may be gone
 * is before it. Until it is known, no entry is served and none is filled.
 *
 * A new master is told by its replication id, not its run id: Redis draws a new one at start and at every
 * promotion, and a replica takes its master's. A run id stays with the process, so a node promoted back after
 * resyncing from another master in between would pass for the one that set the old value. Redis also draws one
 * when a master creates its replication backlog (its first replica after a start): a value set in that first
 * second then names the earlier id, and the next connection sets a new one — a cache emptied once more, never
 * an old entry trusted.
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

  /** Which connection is open now, by count: what was read on an earlier one may be another master's data. */
  get connectionNumber(): number {
    return this.connection;
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

  /** Reads this master's valid-from, or sets it (to the primary's position now) if it has none yet. */
  async establish(): Promise<void> {
    const connection = this.connection;
    try {
      // Without a replication id (a server that hides INFO) every connection counts as a new master: safe, colder.
      const replicationId = /master_replid:(\w+)/.exec(await this.redis.info('replication'))?.[1] ?? `unnamed-${connection}-${Date.now()}`;
      const current = await this.redis.get(VALID_FROM_KEY);
      if (connection !== this.connection) return;
      if (current?.startsWith(`${replicationId}:`)) {
        this.position = current.slice(replicationId.length + 1);
        return;
      }
      // After the entries' positions were read: a position read now is past every write whose marker is gone.
      const position = await this.topology.primary?.positionAfter(performance.now());
      if (position === null || position === undefined) return; // no primary now: the caller tries again
      if (connection !== this.connection) return;
      const stored = await this.redis.eval(RAISE_VALID_FROM, 1, VALID_FROM_KEY, replicationId, lsnKey(position));
      if (connection !== this.connection) return;
      this.position = String(stored).slice(replicationId.length + 1);
      this.logger.log(`Redis ${replicationId.slice(0, 8)} is a new master to the cache: entries read before ${this.position} are void`);
    } catch {
      // Redis unreachable: the next connection or retry tries again
    }
  }
}
