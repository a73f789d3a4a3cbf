import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RequestContext } from '../request-context/request-context';
import { DatabaseNode, NodeConnection, PoolKind } from './database-node';
import { DatabaseTopology } from './database-topology';
import { Host } from './host';
import { HostList } from './host-list';
import { AnalyticsOnPrimaryError } from './analytics-on-primary.error';
import { Lsn, UNKNOWN_POSITION } from './lsn';
import { PrimaryUnavailableError } from './primary-unavailable.error';
import { describeFailure, isNodeBusy, isNodeFailure, isReadOnlyRefusal } from './node-failure';
import { ReplicaUnavailableError } from './replica-unavailable.error';
import { Session } from './session';

export type FallbackPolicy = 'primary' | 'least-lagging' | 'fail';

export interface RoutingPolicy {
  /** When no replica is eligible for a plain read. */
  fallback: FallbackPolicy;
  /** least-lagging: the hard cap on that replica's lag. */
  fallbackMaxLagBytes: number;
  /** How long a read with a token may wait for a replica to replay up to it before going to the primary. */
  tokenWaitMs: number;
  /** Read each node's position behind reads and commits, in their round trips (for tokens and cache markers). */
  trackPositions: boolean;
  /** How long a report waits for a connection of a busy analytics replica before it falls back to a replica. */
  analyticsWaitMs: number;
  /**
   * Several nodes take writes (Galera): a write that cannot connect to the one the app writes to asks a probe
   * round at once and goes to the member it elects, rather than failing until the next round.
   */
  writersInterchangeable?: boolean;
}

/** Where the primary was at the last probe, and its timeline (the topology monitor knows). */
export interface PrimaryPositionSource {
  readonly primaryLsn: Lsn | undefined;
  readonly primaryTimeline: number | undefined;
  /** Probe every node now: a write just failed, the primary may have gone. */
  probeAll(): Promise<void>;
}

/** A connection checked out for a read or a write, and why it went to that node. */
export interface Lease {
  connection: NodeConnection;
  node: DatabaseNode;
  /** The host, when the read went to one as a replica (the request sticks to it). */
  replica?: Host;
  reason: string;
  /** What the node had replayed before the read started: the read saw at least this. */
  lowerBound?: Lsn;
  /** Read a position behind statements (false with REPLICA_ROUTING=fixed, and for a deferred read). */
  tracked: boolean;
  /**
   * A replica read with no position behind it, by choice: the response's token names the replica instead
   * (Session.recordDeferredRead). Not for a cache load's reads, which need an upper bound of what they saw.
   */
  deferred?: boolean;
  /**
   * Reads on the primary: no position behind each statement. A request reads there after its write, or on a
   * strong route: several statements, often. The primary's position only moves forward, so one asked after the
   * request's last read bounds them all (Session.positionSeen), and that query is shared by concurrent requests.
   * Not a cache load's reads (its fill needs their bound before it can go to Redis), nor the reads after the
   * request's commit (usually its response's few rows): there a position behind each costs less than a trip.
   */
  readsPrimary?: boolean;
}

type Route = { replica: Host; reason: string } | { replica?: undefined; reason: string };

const TOKEN_WAIT_POLL_MS = 10;
/** Between two tries for a connection of a busy analytics replica (at max_connections, it refuses at once). */
const ANALYTICS_RETRY_MS = 100;

/**
 * Chooses the node for each connection TypeORM asks for. Reads go to an eligible replica — one that has
 * replayed the client's consistency token when it sent one — and the same one for the whole request; a read
 * whose replica fails is retried on another replica, then on the primary. Writes and transactions go to the
 * primary. A report's reads (`@Consistency('analytics')`) go to an analytics replica, never the primary. The
 * session (per request) holds what the rules need; this class holds the rules' mechanics.
 */
export class LoadBalancer {
  private readonly logger = new Logger(LoadBalancer.name);

  private readonly hosts: HostList;
  /** Each replica's position query in flight for token waits: every read waiting on that replica shares it. */
  private readonly replayPolls = new Map<Host, Promise<void>>();

  constructor(
    private readonly topology: DatabaseTopology,
    private readonly policy: RoutingPolicy,
    private readonly primaryPosition: PrimaryPositionSource,
  ) {
    this.hosts = topology.hosts;
  }

  static fromConfig(topology: DatabaseTopology, config: AppConfig, primaryPosition: PrimaryPositionSource): LoadBalancer {
    const policy: RoutingPolicy = {
      fallback: config.REPLICA_FALLBACK,
      fallbackMaxLagBytes: config.REPLICA_FALLBACK_MAX_LAG_BYTES,
      tokenWaitMs: config.CONSISTENCY_WAIT_MS,
      trackPositions: config.REPLICA_ROUTING === 'aware',
      analyticsWaitMs: config.DB_ANALYTICS_STATEMENT_TIMEOUT_MS,
      writersInterchangeable: config.DB_TOPOLOGY === 'galera',
    };
    return new LoadBalancer(topology, policy, primaryPosition);
  }

  /**
   * A connection for reads, on the node the session's rules choose; a node that cannot even connect is
   * excluded and the next one tried. `tried` holds replicas that already failed this read.
   */
  async leaseForRead(session: Session | undefined, tried: Set<Host>, kind: PoolKind = 'reads'): Promise<Lease> {
    let reportDeadline: number | undefined;
    for (;;) {
      const route = await this.routeRead(session, tried);
      if (!route.replica) return this.leaseWantingPrimary(session, route.reason, kind);
      const { replica } = route;
      // Taken before the read starts: a position observed later might be past what the read saw.
      const lowerBound = replica.knownReplayLsn;
      // MariaDB's reads are positioned at the end of their lease, by an upper bound the token needs as it is.
      const deferred = this.tracks(session) && !session!.positionsWanted && replica.purpose !== 'analytics' && !replica.node.readPositionsMayRunAhead;
      try {
        const connection = await replica.node.connect(kind);
        return { connection, node: replica.node, replica, reason: route.reason, lowerBound, tracked: this.tracks(session) && !deferred, deferred };
      } catch (error) {
        if (!isNodeFailure(error)) throw error;
        // Every connection of the analytics replica holds a report: wait for one, rather than spill reports onto the
        // replicas of the rotation, which live reads need.
        reportDeadline ??= performance.now() + this.policy.analyticsWaitMs;
        if (replica.purpose === 'analytics' && isNodeBusy(error) && performance.now() < reportDeadline) {
          await untilOrAfter(undefined, ANALYTICS_RETRY_MS);
          continue;
        }
        this.readFailed(replica, error, tried, session);
      }
    }
  }

  /**
   * A connection on the primary for what TypeORM's master runners send (writes, transactions, raw queries);
   * fails fast when there is none (a failover).
   */
  async leaseOnPrimary(session: Session | undefined, kind: PoolKind = 'writes'): Promise<Lease> {
    if (session?.consistency.kind === 'analytics' && !session.mustSeeLatest) throw new AnalyticsOnPrimaryError();
    const primary = this.primary;
    session?.startWrite();
    try {
      const connection = await primary.connect(kind);
      return { connection, node: primary, reason: 'primary:write', tracked: this.tracks(session) };
    } catch (error) {
      if (!this.policy.writersInterchangeable || !isNodeFailure(error)) {
        this.primaryFailed(error);
        throw error;
      }
      // Nothing was sent yet: another synced member takes this write now, before the probes give the writer up
      // (they keep a writer through one missed round).
      void this.primaryPosition.probeAll();
      const next = this.hosts.oltp().find((host) => host.eligible && host.node !== primary)?.node;
      if (!next) throw error;
      return { connection: await next.connect(kind), node: next, reason: 'primary:write-moved', tracked: this.tracks(session) };
    }
  }

  /** Any reachable node, for TypeORM's start-up queries (its version, the database's name): the primary if any. */
  async leaseAny(): Promise<Lease> {
    const node = this.topology.primary ?? this.hosts.next()?.node ?? this.hosts.all().find((h) => h.health.reachable)?.node;
    if (!node) throw new ReplicaUnavailableError(`no database node reachable yet (${this.topology.primaryProblem})`);
    return { connection: await node.connect('reads'), node, reason: 'startup', tracked: false };
  }

  /**
   * A read on `replica` failed for a reason of the node's (not the query's): this read goes elsewhere. A node
   * that is down is excluded at once; one that is only busy (see isNodeBusy) stays in rotation.
   */
  readFailed(replica: Host, error: unknown, tried: Set<Host>, session: Session | undefined): void {
    const reason = describeFailure(error);
    tried.add(replica);
    session?.forgetUnservedReplica(replica.name);
    if (isNodeBusy(error)) {
      this.logger.debug(`${replica.name} busy, read retried elsewhere (not excluded): ${reason}`);
      return;
    }
    this.logger.warn(`${replica.name} excluded after a failed read, retrying elsewhere: ${reason}`);
    replica.markDown(reason);
  }

  /** Connecting to the primary failed: when for a reason of the node's, it may have gone; look again now. */
  primaryFailed(error: unknown): void {
    if (isNodeFailure(error)) void this.primaryPosition.probeAll();
  }

  /**
   * A statement on `node`, taken as the primary, failed: what to throw. Refused as read-only (25006), it may
   * have been demoted since the last probe (the failover manager made another node primary): a probe round
   * now says, and if so the write answers as any write without a primary does (503, Retry-After), not 500.
   * Still primary, the refusal is the app's own (a READ ONLY transaction): it is rethrown.
   */
  async statementFailedOnPrimary(error: unknown, node: DatabaseNode): Promise<unknown> {
    if (!isReadOnlyRefusal(error)) {
      this.primaryFailed(error);
      return error;
    }
    await this.primaryPosition.probeAll();
    if (this.topology.primary === node) return error;
    return new PrimaryUnavailableError(`${node.name} refused a write as read-only: it is no longer the primary (${this.topology.primaryProblem || `now ${this.topology.primary?.name}`})`);
  }

  /**
   * The lease is done: record on the request where it ran, and the position read behind its last statement
   * (for a replica, also what the replica has replayed at least).
   */
  recordLease(lease: Lease, session: Session | undefined, outcome: 'read' | 'committed' | 'not-committed', position: Promise<Lsn | null>): void {
    RequestContext.current()?.recordDbNode(lease.node.name, lease.reason);
    const { replica } = lease;
    if (replica && lease.tracked && !lease.node.readPositionsMayRunAhead) {
      void position.then((lsn) => lsn !== null && replica.observeReplay(lsn, replica.health.timeline));
    }
    if (!session) return;
    if (lease.deferred && replica) return session.recordDeferredRead(lease.node, lease.lowerBound, replica.name);
    if (outcome !== 'read') {
      // Nothing committed (it failed, or rolled back): no position to claim, but later reads still want the primary.
      if (outcome === 'committed' && lease.tracked) session.recordWrite(position);
      else session.startWrite();
      return;
    }
    if (!lease.tracked) {
      if (replica) session.recordRead(lease.node, lease.lowerBound, Promise.resolve(null), replica.name);
      return;
    }
    session.recordRead(lease.node, lease.lowerBound ?? this.primaryLowerBound(lease, session), position, replica?.name);
  }

  /** A stream's read, whose position is not read behind it: the token asks the node after the fact. */
  recordStream(lease: Lease, session: Session | undefined): void {
    this.recordLease(lease, session, 'read', Promise.resolve(null));
  }

  /** The node that takes writes now; fails fast when there is none (during a failover). */
  private get primary(): DatabaseNode {
    const primary = this.topology.primary;
    if (!primary) throw new PrimaryUnavailableError(this.topology.primaryProblem);
    return primary;
  }

  private tracks(session: Session | undefined): boolean {
    return session !== undefined && this.policy.trackPositions;
  }

  /** The primary has everything committed: at least its last probed position, the client's token, our write. */
  private primaryLowerBound(lease: Lease, session: Session): Lsn | undefined {
    if (lease.replica) return undefined;
    return [this.primaryPosition.primaryLsn, session.minimumPosition(), session.seenLsn].reduce<Lsn | undefined>(
      (max, lsn) => (lsn !== undefined && lsn !== UNKNOWN_POSITION && (max === undefined || lsn > max) ? lsn : max),
      undefined,
    );
  }

  private async leaseWantingPrimary(session: Session | undefined, reason: string, kind: PoolKind): Promise<Lease> {
    const primary = this.topology.primary;
    // No primary (a failover in progress): a replica's data beats no data for a read that only wanted fresh.
    if (!primary) return this.leaseDuringFailover(session, reason, kind);
    try {
      // Positions behind statements, in their round trips, for a cache load's reads (its fill needs their bound at
      // once) and for the few reads after the request's commit; asked afterwards, either costs a trip of its own.
      // Not where each lease's position is a trip anyway (MariaDB): one question after the reads costs less.
      const askAfter = primary.readPositionsCostATrip === true || (!session?.positionsWanted && !session?.committedData);
      return { connection: await primary.connect(kind), node: primary, reason, tracked: this.tracks(session), readsPrimary: askAfter };
    } catch (error) {
      this.primaryFailed(error);
      throw error;
    }
  }

  /**
   * While there is no primary, reads that wanted it go to the most advanced reachable replica — except those
   * that must see the latest writes (a strong route, or a token the replicas have not reached), which fail
   * fast instead of being served stale.
   */
  private async leaseDuringFailover(session: Session | undefined, wanted: string, kind: PoolKind): Promise<Lease> {
    if (session?.replicaClaim !== undefined) await this.resolveReplicaClaim(session);
    // Its token, the resources it reads, and all it has seen and written (a read after its own write).
    const required = session?.minimumPosition();
    const candidates = this.onLatestTimeline(this.hosts.oltp().filter((h) => h.health.reachable && h.health.role === 'replica' && !h.draining))
      .filter((h) => required === undefined || (h.knownReplayLsn !== undefined && h.knownReplayLsn >= required))
      .sort((a, b) => Number((b.knownReplayLsn ?? 0n) - (a.knownReplayLsn ?? 0n)));
    if (session?.mustSeeLatest || session?.tokenDistrust || candidates.length === 0) {
      throw new PrimaryUnavailableError(this.topology.primaryProblem);
    }
    const [replica] = candidates;
    const lowerBound = replica.knownReplayLsn;
    const connection = await replica.node.connect(kind);
    // Not `replica`: this host is not eligible, the request must not stick to it.
    return { connection, node: replica.node, reason: `replica:no-primary(${wanted})`, lowerBound, tracked: this.tracks(session) };
  }

  /**
   * The route for a read; the replica it picks becomes the request's at once, in the same tick (not once the
   * read is done), so that reads the request runs alongside go there too.
   */
  private routeRead(session: Session | undefined, tried: ReadonlySet<Host>): Route | Promise<Route> {
    const stick = (route: Route): Route => {
      if (!route.replica || !session) return route;
      session.keepReplica(route.replica.name);
      // Chosen after a wait, while a read the request runs alongside chose first: go where that one went, if it
      // has what this read needs.
      const kept = session.stickyReplica;
      const host = kept === route.replica.name || kept === undefined ? undefined : this.hosts.byName(kept);
      const required = session.minimumPosition();
      const fits = host?.eligible && !tried.has(host) && (required === undefined || (host.knownReplayLsn ?? -1n) >= required);
      return fits ? { replica: host!, reason: route.reason } : route;
    };
    const route = this.chooseRoute(session, tried);
    return route instanceof Promise ? route.then(stick) : stick(route);
  }

  private chooseRoute(session: Session | undefined, tried: ReadonlySet<Host>): Route | Promise<Route> {
    const primaryReason = session?.primaryReason();
    // A report or a bounded-staleness read goes wherever its rule says: the claimed replica's position first, so
    // that the client's next token still covers what it saw there.
    const kind = session?.consistency.kind;
    if (!primaryReason && session?.replicaClaim !== undefined && (kind === 'analytics' || kind === 'bounded-staleness')) {
      return this.resolveReplicaClaim(session).then(() => this.chooseRoute(session, tried));
    }
    if (session?.consistency.kind === 'analytics' && !session.mustSeeLatest) return this.analyticsRoute(session, tried);
    if (primaryReason) return { reason: primaryReason };
    const sticky = session?.stickyReplica;
    if (sticky) {
      const host = this.hosts.byName(sticky);
      // A request that already read there goes to the primary: another replica could be further behind.
      if (host && tried.has(host)) return { reason: 'primary:replica-failed' };
      if (!host?.eligible) return { reason: 'primary:replica-left' };
      const required = session!.minimumPosition();
      if (required === undefined || (host.knownReplayLsn !== undefined && host.knownReplayLsn >= required)) return { replica: host, reason: 'replica' };
      // A position required since the first read (a resource's last write): a replica that has it and all
      // that this request has seen, or the primary.
      const seen = session!.seenLsn;
      return this.routeToPosition(seen !== undefined && seen > required ? seen : required, tried);
    }
    const consistency = session?.consistency ?? { kind: 'read-your-writes' };
    if (consistency.kind === 'bounded-staleness') {
      const withinBound = (h: Host) => (h.health.lagSeconds ?? Infinity) * 1000 <= consistency.maxStalenessMs;
      const replica = this.hosts.next(tried, withinBound);
      return replica ? { replica, reason: 'replica:bounded-staleness' } : { reason: 'primary:staleness-bound' };
    }
    if (session?.tokenDistrust) return { reason: `primary:${session.tokenDistrust}` };
    if (session?.replicaClaim !== undefined) return this.routeByClaim(session, tried);
    const required = session?.minimumPosition();
    if (required !== undefined) return this.routeToPosition(required, tried);
    const replica = this.hosts.next(tried);
    if (replica) return { replica, reason: 'replica' };
    return tried.size > 0 ? { reason: 'primary:replica-failed' } : this.fallback();
  }

  /**
   * A report's read: the request's analytics replica once it read there, else the next one, else a replica of the
   * rotation (under its shorter statement timeout), never the primary, whose capacity is the writes'. None: 503.
   * Tokens are not waited for: a report reads what the replica has (its lag is in /health/replication).
   */
  private analyticsRoute(session: Session, tried: ReadonlySet<Host>): Route {
    const kept = session.stickyReplica === undefined ? undefined : this.hosts.byName(session.stickyReplica);
    if (kept?.eligible && !tried.has(kept)) return { replica: kept, reason: kept.purpose === 'analytics' ? 'replica:analytics' : 'replica:analytics-fallback' };
    const analytics = this.hosts.next(tried, () => true, 'analytics');
    if (analytics) return { replica: analytics, reason: 'replica:analytics' };
    const replica = this.hosts.next(tried);
    if (replica) return { replica, reason: 'replica:analytics-fallback' };
    throw new ReplicaUnavailableError('no analytics replica and no replica can take the report');
  }

  /**
   * The client's token names the replica it last read from: the read goes there again if it can, needing no
   * position (the replica only replays forward). Elsewhere, only once that replica's position is known.
   */
  private routeByClaim(session: Session, tried: ReadonlySet<Host>): Route | Promise<Route> {
    const claimed = this.hosts.byName(session.replicaClaim!);
    const required = session.minimumPosition();
    const timeline = this.primaryPosition.primaryTimeline;
    const usable =
      claimed?.eligible &&
      claimed.purpose !== 'analytics' &&
      !tried.has(claimed) &&
      (required === undefined || (claimed.knownReplayLsn ?? -1n) >= required) &&
      (timeline === undefined || claimed.health.timeline === timeline);
    if (usable) return { replica: claimed, reason: 'replica' };
    return this.resolveReplicaClaim(session).then(() => this.chooseRoute(session, tried));
  }

  /**
   * What the claimed replica has replayed, asked now (after the client's reads there): at or past all it showed
   * the client. Unreachable, the primary's position bounds it (no replica is ahead of the primary); neither
   * answering, the position is unknown and the request reads on the primary.
   */
  private async resolveReplicaClaim(session: Session): Promise<void> {
    const claimed = this.hosts.byName(session.replicaClaim!);
    const now = performance.now();
    const deadline = now + this.policy.tokenWaitMs;
    const askWithin = (node: DatabaseNode | undefined) =>
      node ? Promise.race([node.positionAfter(now), untilOrAfter(undefined, deadline - performance.now()).then(() => null)]) : Promise.resolve(null);
    const fromReplica = claimed?.health.reachable ? await askWithin(claimed.node) : null;
    const position = fromReplica ?? (await askWithin(this.topology.primary)) ?? UNKNOWN_POSITION;
    if (fromReplica !== null) claimed!.observeReplay(fromReplica, claimed!.health.timeline);
    session.resolveReplicaClaim(position);
  }

  /** Read-your-writes: a replica known to have replayed `required`, else wait a little for one, else the primary. */
  private routeToPosition(required: Lsn, tried: ReadonlySet<Host>): Route | Promise<Route> {
    if (required === UNKNOWN_POSITION) return { reason: 'primary:token-ahead' };
    // Same timeline as the primary that issued the token: a node on a diverged history never satisfies it.
    const timeline = this.primaryPosition.primaryTimeline;
    const caughtUp = (h: Host) =>
      h.knownReplayLsn !== undefined && h.knownReplayLsn >= required && (timeline === undefined || h.health.timeline === timeline);
    const ready = this.hosts.next(tried, caughtUp);
    return ready ? { replica: ready, reason: 'replica' } : this.waitForPosition(required, caughtUp, tried);
  }

  private async waitForPosition(required: Lsn, caughtUp: (host: Host) => boolean, tried: ReadonlySet<Host>): Promise<Route> {
    const deadline = performance.now() + this.policy.tokenWaitMs;
    // Usually every replica has long replayed the position and only the monitor's last probe is behind: ask the
    // next one of the rotation alone first, rather than every replica (a query each), then all of them.
    const next = this.hosts.next(tried);
    if (next) {
      await untilOrAfter(this.askReplay(next, required, deadline), deadline - performance.now());
      if (caughtUp(next) && next.eligible) return { replica: next, reason: 'replica:token-wait' };
    }
    while (performance.now() < deadline) {
      const candidates = this.hosts.oltp().filter((h) => h.eligible && !tried.has(h));
      if (candidates.length === 0) break;
      const answers = Promise.all(candidates.map((h) => this.askReplay(h, required, deadline)));
      // Never past the budget: a frozen replica, eligible until its next probes, would hold the wait until the
      // position query's own timeout (seconds) — issue 14, item 9.
      await untilOrAfter(answers, deadline - performance.now());
      const replica = this.hosts.next(tried, caughtUp);
      if (replica) return { replica, reason: 'replica:token-wait' };
      await untilOrAfter(undefined, Math.min(TOKEN_WAIT_POLL_MS, deadline - performance.now()));
    }
    return { reason: 'primary:token-ahead' };
  }

  /**
   * Asks `host` what it has replayed and records the answer on it. The query in flight, if any, answers every read
   * waiting there (any answer at or past a read's position proves it, whenever the query began; one below it means
   * another poll). A node that can wait for `required` itself is asked to, until `deadline`.
   */
  private async askReplay(host: Host, required: Lsn, deadline: number): Promise<void> {
    const { node } = host;
    if (node.waitForPosition) {
      if (await node.waitForPosition(required, deadline - performance.now())) host.observeReplay(required, host.health.timeline);
      return;
    }
    let poll = this.replayPolls.get(host);
    if (!poll) {
      poll = node
        .positionAfter(performance.now())
        .then((lsn) => host.observeReplay(lsn, host.health.timeline))
        .finally(() => this.replayPolls.delete(host));
      this.replayPolls.set(host, poll);
    }
    return poll;
  }

  /**
   * The hosts on the latest history known: the primary's timeline, or the highest among them while there is none.
   * A node behind it may hold writes that history dropped (an old primary back before pg_rewind), and its replay
   * position, however advanced, is on another history.
   */
  private onLatestTimeline(hosts: Host[]): Host[] {
    const latest = Math.max(this.primaryPosition.primaryTimeline ?? 0, ...hosts.map((h) => h.health.timeline ?? 0));
    return hosts.filter((h) => (h.health.timeline ?? 0) >= latest);
  }

  private fallback(): Route {
    if (this.policy.fallback === 'primary') return { reason: 'primary:no-eligible-replica' };
    if (this.policy.fallback === 'least-lagging') {
      const leastLagging = this.onLatestTimeline(this.hosts.oltp().filter((h) => !h.draining && h.health.reachable && h.health.role === 'replica'))
        .filter((h) => (h.health.lagBytes ?? Infinity) <= this.policy.fallbackMaxLagBytes)
        .sort((a, b) => (a.health.lagBytes ?? 0) - (b.health.lagBytes ?? 0))[0];
      if (leastLagging) return { replica: leastLagging, reason: 'replica:least-lagging' };
      throw new ReplicaUnavailableError(`no reachable replica within ${this.policy.fallbackMaxLagBytes} bytes of lag`);
    }
    throw new ReplicaUnavailableError('every replica is excluded (REPLICA_FALLBACK=fail)');
  }
}


/** Resolves when `work` settles or `ms` have passed, whichever comes first (without `work`: after `ms`). */
function untilOrAfter(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))));
  const settled = work?.then(
    () => undefined,
    () => undefined,
  );
  return Promise.race(settled ? [settled, elapsed] : [elapsed]).finally(() => clearTimeout(timer));
}
