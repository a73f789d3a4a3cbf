import type { Lsn } from './lsn';
import { UNKNOWN_POSITION } from './lsn';

/** How fresh a route's reads must be (see @Consistency). */
export type ConsistencyRequirement =
  | { kind: 'read-your-writes' }
  | { kind: 'strong' }
  | { kind: 'bounded-staleness'; maxStalenessMs: number }
  | { kind: 'analytics' };

/** A node that can tell a position at or after a given moment (the upper bound of what a read there saw). */
export interface PositionSource {
  positionAfter(moment: number): Promise<Lsn | null>;
}

/** What a valid consistency token said: reads must see `position`; entries read before `cacheFloor` are void. */
export interface TokenRequirement {
  position: Lsn;
  issuedAt: number;
  cacheFloor?: Lsn;
  /** The replica the client last read from without a position (ConsistencyToken.seenOn). */
  seenOn?: string;
}

/** A read, with what it saw at least and whether an upper bound of what it saw is known (see Session.reads). */
interface ReadRecord {
  lowerBound?: Lsn;
  positioned: boolean;
  node?: PositionSource;
  doneAt?: number;
  /** Deliberately read without a position: the replica's name, which the token may carry instead (deferRead). */
  deferredOn?: string;
}

/** The nodes of the reads that had no position behind them, each with when the last of those reads was done. */
function latestUnpositioned(reads: readonly ReadRecord[]): Map<PositionSource, number> {
  const nodes = new Map<PositionSource, number>();
  for (const read of reads) if (!read.positioned) nodes.set(read.node!, Math.max(nodes.get(read.node!) ?? 0, read.doneAt!));
  return nodes;
}

const higher = (a: Lsn | undefined, b: Lsn | null | undefined): Lsn | undefined => (b !== null && b !== undefined && (a === undefined || b > a) ? b : a);

/**
 * What one request has done to the database, and the routing rules that follow from it (GitLab's
 * `LoadBalancing::Session`). The load balancer, the consistency tokens and the cache ask it questions and tell
 * it what happened; none of them sets its state field by field.
 *
 * Positions are read in the round trip of the statement they follow and answered a moment after it, so a read
 * or a write is recorded at once with its position still on the way; `settled()` waits for every one of them.
 */
export class Session {
  private route: ConsistencyRequirement = { kind: 'read-your-writes' };
  /** From a valid token of this cluster: the client's, or the one remembered for its identity (the higher). */
  private token?: TokenRequirement;
  /** Positions the request's reads must see besides the token's: the last writes to the resources it reads. */
  private required?: Lsn;
  /** Who the request is by (a signed-in user), when the app says so: its writes are remembered for it. */
  private identity?: string;
  /**
   * The incoming token is genuine but of another cluster or timeline (from before a failover): reads go to the
   * primary. A token that is not genuine (forged, altered, junk) is ignored instead (ConsistencyTokens.accept).
   */
  private distrust?: 'foreign-token';
  private wrote = false;
  /** When the request's first write started: a replica read done before it is bounded by the write's position. */
  private writeStartedAt?: number;
  /**
   * The replica the client's token says it last read from without a position, until the request reads there or
   * has that replica's position (resolveReplicaClaim): only then may a read go to another node.
   */
  private claim?: string;
  /** Cache loads under way: their reads need an upper bound of what they saw, so positions are read behind them. */
  private loadsOpen = 0;
  /** A write of the request committed: running the request again would repeat it. */
  private committedWrite = false;
  /** Inside usePrimary(): reads go to the primary. */
  private primaryScopes = 0;
  /** The replica this request reads from: chosen by its first read, kept once a read was served there. */
  private sticky?: string;
  private stickyServed = false;
  private writePosition?: Lsn;
  /**
   * Each read's lower bound (what its node had replayed before it), and whether its position was read behind it;
   * when not, the node and when the read was done, for a position asked after the fact (see latestUnpositioned).
   */
  private readonly reads: ReadRecord[] = [];
  /** Entries read before this position are not served to this client (a write of its own could not invalidate). */
  private floor?: Lsn;
  private seen?: Lsn;
  private readonly pending = new Set<Promise<unknown>>();

  // What the client brought

  /** A valid token's requirement; with two (the client's and its identity's), the higher position holds. */
  requireToken(token: TokenRequirement): void {
    if (this.token === undefined || token.position > this.token.position) this.token = token;
    this.floor = higher(this.floor, token.cacheFloor);
    // Tokens that name a replica come from requests that only read (a write's position bounds its reads): at most
    // the client's own. Were there two, the second's replica is known no better than by a position asked there.
    this.claim ??= token.seenOn;
  }

  /** The replica the client last read from, whose position is still unknown to this request (see `claim`). */
  get replicaClaim(): string | undefined {
    return this.claim;
  }

  /** The claimed replica's position, asked after the client's reads there (or UNKNOWN_POSITION): a bound for every node. */
  resolveReplicaClaim(position: Lsn): void {
    this.claim = undefined;
    this.observe(position);
  }

  /** The request's reads from now on must see `lsn` (the last write to a resource it is about to read). */
  requirePosition(lsn: Lsn): void {
    this.required = higher(this.required, lsn);
  }

  /** The request is by `identity` (e.g. `user:42`): the position of its writes is remembered for it. */
  identify(identity: string): void {
    this.identity = identity;
  }

  get identifiedAs(): string | undefined {
    return this.identity;
  }

  get wroteData(): boolean {
    return this.wrote;
  }

  /** Whether a write of the request committed (not only started, or failed, or rolled back). */
  get committedData(): boolean {
    return this.committedWrite;
  }

  distrustToken(reason: 'foreign-token'): void {
    this.distrust = reason;
  }

  /** The route's @Consistency, when it has one. */
  applyRouteConsistency(requirement: ConsistencyRequirement): void {
    this.route = requirement;
  }

  get consistency(): ConsistencyRequirement {
    return this.route;
  }

  // The routing rules

  /** Why every read of this request goes to the primary, or undefined when replicas may serve it. */
  primaryReason(): string | undefined {
    if (this.wrote) return 'primary:after-write';
    if (this.consistency.kind === 'strong' || this.primaryScopes > 0) return 'primary:strong';
    return undefined;
  }

  /**
   * The position a replica must have replayed to serve this request: its token's (read-your-writes), the last
   * writes to the resources it reads, and all it has already seen or written (its reads never go backwards).
   */
  minimumPosition(): Lsn | undefined {
    return higher(higher(this.token?.position, this.required), this.seen);
  }

  /** A strong route, or inside usePrimary(): only the primary will do, never a replica in its place. */
  get mustSeeLatest(): boolean {
    return this.consistency.kind === 'strong' || this.primaryScopes > 0;
  }

  /** Reads must come from the primary because the token cannot be trusted. */
  get tokenDistrust(): 'foreign-token' | undefined {
    return this.distrust;
  }

  get stickyReplica(): string | undefined {
    return this.sticky;
  }

  /** Whether a cached value may be served without a check: a token or a strong route asks for its own read. */
  get freshnessMatters(): boolean {
    return this.minimumPosition() !== undefined || this.wrote || this.floor !== undefined || this.mustSeeLatest || this.distrust !== undefined;
  }

  /** Runs `work` with this request's reads on the primary (what `usePrimary()` does). */
  async withPrimaryReads<T>(work: () => Promise<T>): Promise<T> {
    this.primaryScopes++;
    try {
      return await work();
    } finally {
      this.primaryScopes--;
    }
  }

  // What happened

  /**
   * The request's first read chose this replica: its other reads, concurrent ones included, go there too (so
   * they never go backwards).
   */
  keepReplica(replica: string): void {
    if (this.sticky !== undefined) return;
    this.sticky = replica;
    this.stickyServed = false;
  }

  /** The chosen replica failed before it served any read: the request may still choose another. */
  forgetUnservedReplica(replica: string): void {
    if (this.sticky === replica && !this.stickyServed) this.sticky = undefined;
  }

  /** A write is under way: every later read of the request goes to the primary. */
  startWrite(): void {
    this.writeStartedAt ??= performance.now();
    this.wrote = true;
  }

  /** A statement that may have written committed (RoutedConnection tells, as each one answers). */
  recordCommit(): void {
    this.writeStartedAt ??= performance.now();
    this.wrote = true;
    this.committedWrite = true;
  }

  /** A write committed at `position` (null: committed, but the position could not be read). */
  recordWrite(position: Promise<Lsn | null>): void {
    this.writeStartedAt ??= performance.now();
    this.wrote = true;
    this.track(
      position.then((lsn) => {
        const committed = lsn ?? UNKNOWN_POSITION; // claim nothing a replica could satisfy
        this.writePosition = higher(this.writePosition, committed);
        this.observe(committed);
      }),
    );
  }

  /**
   * A read ran on `node` (named `replica` when it is one the request sticks to). `lowerBound` is what the node
   * had replayed before the read; `position` the one read behind it, or null when it was not or could not be
   * read, in which case the node is asked after the fact: once for all such reads there (its position only
   * moves forward), when the token is made or a cache fill needs it (boundReadsSince).
   */
  recordRead(node: PositionSource, lowerBound: Lsn | undefined, position: Promise<Lsn | null>, replica?: string): void {
    if (replica) {
      this.sticky = replica;
      this.stickyServed = true;
    }
    const read: ReadRecord = { lowerBound, positioned: true };
    this.reads.push(read);
    const doneAt = performance.now();
    this.track(
      position.then((lsn) => {
        if (lsn !== null) return this.observe(lsn);
        Object.assign(read, { positioned: false, node, doneAt });
      }),
    );
  }

  /**
   * A read on `replica` with no position behind it, by choice (no cache load needed one): the outgoing token names
   * the replica instead (`seenOn`), and the client's next read there needs no position either, since a replica only
   * replays forward. Its lower bound is what the client has seen at least.
   */
  recordDeferredRead(node: PositionSource, lowerBound: Lsn | undefined, replica: string): void {
    this.sticky = replica;
    this.stickyServed = true;
    this.reads.push({ lowerBound, positioned: false, node, doneAt: performance.now(), deferredOn: replica });
    this.observe(lowerBound);
    // The client read where its token said: that claim now travels as this read's.
    if (this.claim === replica) this.claim = undefined;
  }

  /** Whether reads must have their positions read behind them now (a cache load is under way). */
  get positionsWanted(): boolean {
    return this.loadsOpen > 0;
  }

  /** A cache load begins: its reads get positions behind them until endLoad(). Returns its readMark(). */
  beginLoad(): number {
    this.loadsOpen++;
    return this.readMark();
  }

  endLoad(): void {
    this.loadsOpen = Math.max(0, this.loadsOpen - 1);
  }

  /**
   * Asks the nodes of the reads since `mark` that had no position read behind them for one now (a query that
   * starts after the read, shared with concurrent requests): an upper bound of what they saw, which a cache
   * fill needs. A node that cannot answer leaves its reads unbounded. After settled().
   */
  async boundReadsSince(mark: number): Promise<void> {
    const reads = this.reads.slice(mark);
    await Promise.all(
      [...latestUnpositioned(reads)].map(async ([node, doneAt]) => {
        const lsn = await node.positionAfter(doneAt);
        if (lsn === null) return;
        this.observe(lsn);
        for (const read of reads) if (read.node === node && read.doneAt! <= doneAt) read.positioned = true;
      }),
    );
  }

  /** A position the client has now seen (a cache entry's). */
  observe(lsn: Lsn | null | undefined): void {
    this.seen = higher(this.seen, lsn);
  }

  /** A write of this request could not invalidate its cache keys: its client skips entries read before it. */
  raiseCacheFloor(lsn: Lsn): void {
    this.floor = higher(this.floor, lsn);
  }

  /** Waits for the positions of every read and write so far. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  // What the token and the cache need (after settled())

  get writeLsn(): Lsn | undefined {
    return this.writePosition;
  }

  /** Marks where a piece of work (a cache load) begins among the request's reads; see readsSince(). */
  readMark(): number {
    return this.reads.length;
  }

  /**
   * What the reads since `mark` saw at least (the lowest of their lower bounds; undefined when one had none),
   * and whether each had its position read behind it (a bound above what it saw). After settled().
   */
  readsSince(mark: number): { lowerBound: Lsn | undefined; bounded: boolean } {
    const since = this.reads.slice(mark);
    const bounds = since.map((read) => read.lowerBound);
    const lowerBound = bounds.length === 0 || bounds.includes(undefined) ? undefined : bounds.reduce((min, lsn) => (lsn! < min! ? lsn : min));
    return { lowerBound, bounded: since.every((read) => read.positioned) };
  }

  get seenLsn(): Lsn | undefined {
    return this.seen;
  }

  get cacheFloor(): Lsn | undefined {
    return this.floor;
  }

  get tokenRequirement(): TokenRequirement | undefined {
    return this.token;
  }

  /** The highest position the client has now seen: the outgoing token's. */
  async positionSeen(): Promise<Lsn | undefined> {
    return (await this.outgoingPosition()).lsn;
  }

  /**
   * What the outgoing token says: the highest position the client has now seen, and the replica it read from
   * without a position (`seenOn`), when there is one to name. A node is asked for its position (a query that
   * starts after the read, shared with concurrent requests) only for reads that neither carry one nor are bounded
   * otherwise: a replica read done before the request's first write is below that write's committed position.
   */
  async outgoingPosition(): Promise<{ lsn: Lsn | undefined; seenOn?: string }> {
    await this.settled();
    // A commit's position (known, or UNKNOWN_POSITION) bounds every read done before the write began.
    const committed = this.writePosition !== undefined;
    const boundedByWrite = (read: ReadRecord) => committed && read.doneAt! <= this.writeStartedAt!;
    // A request that committed names no replica: its token bounds its reads by itself (and is the one remembered
    // for the client's identity, see Sticking). Otherwise the client's claim, if the request read nowhere else on
    // a replica (LoadBalancer.routeByClaim), or the replica its own reads went to.
    const deferred = this.reads.filter((read) => read.deferredOn !== undefined && !read.positioned);
    const seenOn = committed ? undefined : (this.claim ?? deferred.at(-1)?.deferredOn);
    const asked = this.reads.filter((read) => !read.positioned && !(read.deferredOn !== undefined && (read.deferredOn === seenOn || boundedByWrite(read))));
    const after = await Promise.all([...latestUnpositioned(asked)].map(([node, doneAt]) => node.positionAfter(doneAt)));
    const lsn = after.reduce<Lsn | undefined>((max, position) => higher(max, position), higher(this.token?.position, this.seen));
    return seenOn === undefined ? { lsn } : { lsn, seenOn };
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}
