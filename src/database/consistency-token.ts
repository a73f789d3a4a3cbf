import { createHmac, timingSafeEqual } from 'node:crypto';
import { formatLsn, Lsn, parseLsn } from './lsn';

/**
 * "This client has seen the database up to `lsn` on this cluster": what a client carries between requests
 * (header X-Consistency-Token, and a cookie), so that read-your-writes and monotonic reads hold whichever
 * app server nginx picks, without any server-side session.
 *
 * The system identifier and timeline name the history the LSN belongs to: after a failover, a position on the
 * old timeline says nothing about a node on the new one.
 */
export interface ConsistencyToken {
  systemId: string;
  timeline: number;
  lsn: Lsn;
  /** ms since the epoch; the token is void `ttlMs` later. */
  issuedAt: number;
  /**
   * Set when a write of this client's could not invalidate its cache entries (Redis unreachable): entries
   * read before this position may predate that write, so they are not served to the client.
   */
  cacheFloor?: Lsn;
  /**
   * The replica (its node name) the client's last reads were served by, with no position read behind them: the
   * client has seen that replica up to some point past `lsn`, at most where the replica is now (it only replays
   * forward). Its next read there needs nothing more; a read elsewhere first asks that replica where it is.
   */
  seenOn?: string;
}

export type TokenVerdict =
  | { status: 'valid'; token: ConsistencyToken }
  | { status: 'expired' | 'malformed' | 'bad-signature'; token?: undefined };

const VERSION = 'v1';

/** A node name as probes read it (`db-replica-1`), marked `@` in a token. */
const NODE_NAME = /^[A-Za-z0-9_-]{1,63}$/;

/** Signatures remembered: under load most responses carry one of a few positions (issuedAt is in seconds). */
const REMEMBERED_SIGNATURES = 256;

/**
 * Encodes and verifies tokens: `v1.<systemId>.<timeline>.<lsn>.<issuedAt>[.<cacheFloor>][.@<seenOn>].<hmac>`,
 * HMAC-SHA256 over the rest.
 */
export class ConsistencyTokenCodec {
  private readonly signatures = new Map<string, string>();

  constructor(
    private readonly secret: string,
    private readonly ttlMs: number,
  ) {}

  encode(token: ConsistencyToken): string {
    const floor = token.cacheFloor === undefined ? [] : [formatLsn(token.cacheFloor)];
    const seenOn = token.seenOn === undefined ? [] : [`@${token.seenOn}`];
    const payload = [VERSION, token.systemId, token.timeline, formatLsn(token.lsn), token.issuedAt, ...floor, ...seenOn].join('.');
    return `${payload}.${this.sign(payload)}`;
  }

  decode(text: string, now = Date.now()): TokenVerdict {
    const parts = text.split('.');
    if (parts.length < 6 || parts.length > 8 || parts[0] !== VERSION || text.length > 290) return { status: 'malformed' };
    const [, systemId, timeline, lsn, issuedAt] = parts;
    const optional = parts.slice(5, -1);
    const seenOnPart = optional.at(-1)?.startsWith('@') ? optional.pop()!.slice(1) : undefined;
    if (optional.length > 1 || (seenOnPart !== undefined && !NODE_NAME.test(seenOnPart))) return { status: 'malformed' };
    const floor = optional[0];
    const signature = parts[parts.length - 1];
    if (!/^\d{1,20}$/.test(systemId) || !/^\d{1,10}$/.test(timeline) || !/^\d{1,15}$/.test(issuedAt)) return { status: 'malformed' };
    let position: Lsn;
    let cacheFloor: Lsn | undefined;
    try {
      position = parseLsn(lsn);
      cacheFloor = floor === undefined ? undefined : parseLsn(floor);
    } catch {
      return { status: 'malformed' };
    }
    const expected = Buffer.from(this.sign(parts.slice(0, -1).join('.'), false));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { status: 'bad-signature' };
    const token: ConsistencyToken = {
      systemId,
      timeline: Number(timeline),
      lsn: position,
      issuedAt: Number(issuedAt),
      ...(cacheFloor === undefined ? {} : { cacheFloor }),
      ...(seenOnPart === undefined ? {} : { seenOn: seenOnPart }),
    };
    if (now - token.issuedAt > this.ttlMs || token.issuedAt - now > 60_000) return { status: 'expired' };
    return { status: 'valid', token };
  }

  /** Remembers only what this server issued: a client's payloads must not push those out. */
  private sign(payload: string, remember = true): string {
    let signature = this.signatures.get(payload);
    if (signature === undefined) {
      signature = createHmac('sha256', this.secret).update(payload).digest('base64url');
      if (!remember) return signature;
      if (this.signatures.size >= REMEMBERED_SIGNATURES) this.signatures.clear();
      this.signatures.set(payload, signature);
    }
    return signature;
  }
}
