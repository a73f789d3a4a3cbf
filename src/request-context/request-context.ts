import { AsyncLocalStorage } from 'node:async_hooks';
import type { Lsn } from '../database/lsn';

/** How fresh a route's reads must be (see @Consistency). */
export type ConsistencyRequirement =
  | { kind: 'read-your-writes' }
  | { kind: 'strong' }
  | { kind: 'bounded-staleness'; maxStalenessMs: number };

/** A node that can tell a position at or after a given moment (the upper bound of what a read there saw). */
export interface PositionSource {
  positionAfter(moment: number): Promise<Lsn | null>;
}

/** What one HTTP request has done so far, visible to every layer without passing it around. */
export class RequestContext {
  /** Nodes that served this request's queries, in order of first use (the `X-DB-Node` header). */
  readonly dbNodes: string[] = [];
  /** Why each query went where it went (the `X-DB-Route` header). */
  readonly routes: string[] = [];
  /** Every read and write in order, with its node and route: what metrics count, where the headers dedupe. */
  readonly dbOperations: { node: string; route: string }[] = [];
  /** Set by cached routes (the `X-Cache` header). */
  cacheStatus?: 'HIT' | 'MISS';
  consistency: ConsistencyRequirement = { kind: 'read-your-writes' };
  /** The replica this request reads from once it has read: its reads never go backwards. */
  stickyReplica?: string;
  wrote = false;
  /** The position at or after this request's last commit: cache invalidations record it. */
  writeLsn?: Lsn;
  /** From a valid token of this cluster: reads must see at least this position. */
  requiredLsn?: Lsn;
  /** When the client's token was issued (ms since the epoch). */
  requiredSince?: number;
  /**
   * Cache entries read before this position are not served to this client: one of its writes could not
   * invalidate its entries (from its token, or from this request).
   */
  cacheFloor?: Lsn;
  /** The incoming token could not be trusted (forged, altered, another cluster): reads go to the primary. */
  tokenDistrust?: 'invalid-token' | 'foreign-token';
  /** A lower bound of what this request's reads see: cache fills are judged by it. */
  readLowerBound?: Lsn;
  /** The last node read from, and when: the outgoing token must cover what that read saw. */
  lastRead?: { node: PositionSource; doneAt: number };
  /** The highest position this request has seen or caused so far (writes, cache entries). */
  private seen?: Lsn;

  constructor(readonly requestId: string) {}

  private static readonly storage = new AsyncLocalStorage<RequestContext>();

  static run<T>(context: RequestContext, fn: () => T): T {
    return RequestContext.storage.run(context, fn);
  }

  /** The current request's context, or undefined outside a request (jobs, monitors). */
  static current(): RequestContext | undefined {
    return RequestContext.storage.getStore();
  }

  recordDbNode(name: string, route: string): void {
    this.dbOperations.push({ node: name, route });
    if (!this.dbNodes.includes(name)) this.dbNodes.push(name);
    if (!this.routes.includes(route)) this.routes.push(route);
  }

  observe(lsn: Lsn | null | undefined): void {
    if (lsn !== null && lsn !== undefined && (this.seen === undefined || lsn > this.seen)) this.seen = lsn;
  }

  get seenLsn(): Lsn | undefined {
    return this.seen;
  }
}
