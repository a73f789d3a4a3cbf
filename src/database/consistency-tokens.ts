import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RequestContext } from '../request-context/request-context';
import { ConsistencyTokenCodec } from './consistency-token';
import { UNKNOWN_POSITION } from './lsn';
import { TopologyMonitor } from './topology-monitor';

export interface TokenStats {
  accepted: number;
  issued: number;
  expired: number;
  invalid: number;
  foreign: number;
}

/**
 * Read-your-writes and monotonic reads across app servers: the position a client has seen travels with it,
 * signed, in a token. Incoming tokens set what a request's reads must see; every response that read or wrote
 * data carries the new position (GitLab keeps this in Redis per user; a token needs no shared state).
 */
@Injectable()
export class ConsistencyTokens {
  private readonly logger = new Logger(ConsistencyTokens.name);
  private readonly codec: ConsistencyTokenCodec;
  readonly enabled: boolean;
  readonly ttlSeconds: number;
  readonly stats: TokenStats = { accepted: 0, issued: 0, expired: 0, invalid: 0, foreign: 0 };

  constructor(
    config: AppConfig,
    private readonly monitor: TopologyMonitor,
  ) {
    this.enabled = config.CONSISTENCY_TOKENS && config.REPLICA_ROUTING === 'aware';
    this.ttlSeconds = config.CONSISTENCY_TOKEN_TTL_SECONDS;
    this.codec = new ConsistencyTokenCodec(config.CONSISTENCY_TOKEN_SECRET, config.CONSISTENCY_TOKEN_TTL_SECONDS * 1000);
  }

  /**
   * Applies a token the client sent. Never throws. A token this server cannot read or verify is counted and
   * treated as absent: were it to send reads to the primary, anyone could buy primary capacity (and skip the
   * cache) with `X-Consistency-Token: x`. Its holder loses nothing it could prove it had.
   */
  accept(text: string | undefined, context: RequestContext): void {
    if (!this.enabled || !text) return;
    const verdict = this.codec.decode(text, this.monitor.databaseNow());
    if (verdict.status === 'expired') {
      // Its guarantee has lapsed: any eligible replica is recent enough (REPLICA_MAX_LAG_SECONDS is below the
      // token's lifetime). Dated and judged by the primary's clock, not this server's: see databaseNow().
      this.stats.expired++;
      this.logger.debug(`ignored an expired consistency token (request ${context.requestId})`);
      return;
    }
    if (verdict.status !== 'valid') {
      this.stats.invalid++;
      this.logger.debug(`ignored a ${verdict.status} consistency token (request ${context.requestId})`);
      return;
    }
    const { systemIdentifier, timeline } = this.monitor.primaryState;
    const { token } = verdict;
    // A position on another cluster or timeline (before a failover) proves nothing about the nodes now:
    // the primary serves this client until the token expires.
    if (systemIdentifier !== null && (token.systemId !== systemIdentifier || token.timeline !== timeline)) {
      this.stats.foreign++;
      context.session.distrustToken('foreign-token');
      return;
    }
    this.stats.accepted++;
    context.session.requireToken({ position: token.lsn, issuedAt: token.issuedAt, cacheFloor: token.cacheFloor, seenOn: token.seenOn });
  }

  /** The token for this response: at or past everything the request read, wrote, or took from the cache. */
  async issue(context: RequestContext): Promise<string | undefined> {
    if (!this.enabled || (context.dbNodes.length === 0 && !context.cacheStatus)) return undefined;
    const { systemIdentifier, timeline } = this.monitor.primaryState;
    if (systemIdentifier === null || timeline === null) return undefined;
    const { session } = context;
    const { lsn, seenOn } = await session.outgoingPosition();
    if (lsn === undefined) return undefined;
    this.stats.issued++;
    const { cacheFloor } = session;
    const required = session.tokenRequirement;
    // Whole seconds: responses at one position in one second share a token, and its signature is computed once.
    // A position lost after a write keeps its first date: its holder reads from the primary until then + TTL.
    const carriesUnknown = lsn === UNKNOWN_POSITION && required?.position === UNKNOWN_POSITION;
    const issuedAt = carriesUnknown ? required.issuedAt : Math.floor(this.monitor.databaseNow() / 1000) * 1000;
    return this.codec.encode({ systemId: systemIdentifier, timeline, lsn, issuedAt, ...(cacheFloor === undefined ? {} : { cacheFloor }), ...(seenOn === undefined ? {} : { seenOn }) });
  }
}
