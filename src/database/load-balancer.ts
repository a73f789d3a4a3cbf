import { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { RequestContext } from '../request-context/request-context';
import { DatabaseNode, Positioned, Work } from './database-node';
import { DatabaseTopology } from './database-topology';
import { Lsn, UNKNOWN_POSITION } from './lsn';
import { PrimaryUnavailableError } from './primary-unavailable.error';
import { Replica } from './replica';
import { describeFailure, isReplicaFailure } from './replica-failure';
import { ReplicaList } from './replica-list';
import { ReplicaUnavailableError } from './replica-unavailable.error';

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
}

/** Where the primary was at the last probe, and its timeline (the lag monitor knows). */
export interface PrimaryPositionSource {
  readonly primaryLsn: Lsn | undefined;
  readonly primaryTimeline: number | undefined;
  /** Probe every node now: a write just failed, the primary may have gone. */
  probeAll(): Promise<void>;
}

type Route = { replica: Replica; reason: string } | { replica?: undefined; reason: string };

const TOKEN_WAIT_POLL_MS = 10;

/**
 * Chooses the node for each query. Reads go to an eligible replica — one that has replayed the client's
 * consistency token when it sent one — and the same one for the whole request; they fall over to another
 * replica and then to the primary when a replica fails. Writes go to the primary.
 */
export class LoadBalancer {
  private readonly logger = new Logger(LoadBalancer.name);

  private readonly replicas: ReplicaList;

  constructor(
    private readonly topology: DatabaseTopology,
    private readonly policy: RoutingPolicy,
    private readonly primaryPosition: PrimaryPositionSource,
  ) {
    this.replicas = topology.replicas;
  }

  /** The node that takes writes now; fails fast when there is none (during a failover). */
  private get primary(): DatabaseNode {
    const primary = this.topology.primary;
    if (!primary) throw new PrimaryUnavailableError(this.topology.primaryProblem);
    return primary;
  }

  async read<T>(work: Work<T>): Promise<T> {
    const context = RequestContext.current();
    const tried = new Set<Replica>();
    let route = await this.routeRead(context, tried);
    while (route.replica) {
      const { replica } = route;
      // Taken before the read starts: a position observed later might be past what the read saw.
      const lowerBound = replica.knownReplayLsn;
      try {
        const outcome = await replica.node.read(work, this.tracksPositions(context));
        this.recordRead(context, replica, route.reason, lowerBound, outcome);
        if (context) context.stickyReplica = replica.name;
        return outcome.result;
      } catch (error) {
        if (!isReplicaFailure(error)) throw error;
        const reason = describeFailure(error);
        this.logger.warn(`${replica.name} excluded after a failed read, retrying elsewhere: ${reason}`);
        replica.markDown(reason);
        tried.add(replica);
        // A request that already read there goes to the primary: another replica could be further behind.
        route = context?.stickyReplica ? { reason: 'primary:replica-failed' } : await this.routeRead(context, tried);
        if (!route.replica) route = { reason: 'primary:replica-failed' };
      }
    }
    return this.runOnPrimary(work, route.reason);
  }

  /** Runs on the primary without a transaction: strong reads and explicit primary-only work. */
  onPrimary<T>(work: Work<T>): Promise<T> {
    return this.runOnPrimary(work, 'primary:strong');
  }

  /** Runs in one transaction on the primary; the request's later reads follow it there. */
  async write<T>(work: Work<T>): Promise<T> {
    const context = RequestContext.current();
    if (context) context.wrote = true;
    const primary = this.primary;
    let outcome: Positioned<T>;
    try {
      outcome = await primary.write(work, this.tracksPositions(context));
    } catch (error) {
      // The primary may have died: look again now rather than at the next probe round.
      if (isReplicaFailure(error)) void this.primaryPosition.probeAll();
      throw error;
    }
    if (context) context.recordDbNode(primary.name, 'primary:write');
    if (context && this.policy.trackPositions) {
      // Unreadable (the primary went away right after the commit): claim nothing a replica could satisfy.
      const committed = outcome.position ?? UNKNOWN_POSITION;
      context.writeLsn = committed;
      context.observe(committed);
    }
    return outcome.result;
  }

  private tracksPositions(context: RequestContext | undefined): boolean {
    return context !== undefined && this.policy.trackPositions;
  }

  private async runOnPrimary<T>(work: Work<T>, reason: string): Promise<T> {
    const primary = this.topology.primary;
    // No primary (a failover in progress): a replica's data beats no data for a read that only wanted fresh.
    if (!primary) return this.readDuringFailover(work, reason);
    const context = RequestContext.current();
    const outcome = await primary.read(work, this.tracksPositions(context));
    // The primary has everything committed: at least its last probed position, the client's token, our write.
    const lowerBound = [this.primaryPosition.primaryLsn, context?.requiredLsn, context?.seenLsn].reduce<Lsn | undefined>(
      (max, lsn) => (lsn !== undefined && lsn !== UNKNOWN_POSITION && (max === undefined || lsn > max) ? lsn : max),
      undefined,
    );
    this.recordRead(context, primary, reason, lowerBound, outcome);
    return outcome.result;
  }

  /**
   * While there is no primary, reads that wanted it go to the most advanced reachable replica — except those
   * that must see the latest writes (a strong route, or a token the replicas have not reached), which fail
   * fast instead of being served stale.
   */
  private async readDuringFailover<T>(work: Work<T>, wanted: string): Promise<T> {
    const context = RequestContext.current();
    const required = context?.requiredLsn;
    const candidates = this.replicas
      .all()
      .filter((r) => r.health.reachable && r.health.role === 'replica' && !r.draining)
      .filter((r) => required === undefined || (r.knownReplayLsn !== undefined && r.knownReplayLsn >= required))
      .sort((a, b) => Number((b.knownReplayLsn ?? 0n) - (a.knownReplayLsn ?? 0n)));
    if (context?.consistency.kind === 'strong' || context?.tokenDistrust || candidates.length === 0) {
      throw new PrimaryUnavailableError(this.topology.primaryProblem);
    }
    const [replica] = candidates;
    const lowerBound = replica.knownReplayLsn;
    const outcome = await replica.node.read(work, this.tracksPositions(context));
    this.recordRead(context, replica, `replica:no-primary(${wanted})`, lowerBound, outcome);
    return outcome.result;
  }

  /**
   * The outgoing token must cover what the read saw: the position read behind it, or when that was not
   * read, a position query after the fact (at response time).
   */
  private recordRead(context: RequestContext | undefined, where: Replica | DatabaseNode, reason: string, lowerBound: Lsn | undefined, outcome: Positioned<unknown>): void {
    const node = where instanceof Replica ? where.node : where;
    if (where instanceof Replica && outcome.position !== null) where.observeReplay(outcome.position, where.health.timeline);
    if (!context) return;
    context.recordDbNode(node.name, reason);
    if (outcome.position !== null) context.observe(outcome.position);
    else context.lastRead = { node, doneAt: performance.now() };
    if (context.readLowerBound === undefined) context.readLowerBound = lowerBound;
  }

  private async routeRead(context: RequestContext | undefined, tried: ReadonlySet<Replica>): Promise<Route> {
    if (context?.wrote) return { reason: 'primary:after-write' };
    const consistency = context?.consistency ?? { kind: 'read-your-writes' };
    if (consistency.kind === 'strong') return { reason: 'primary:strong' };
    if (context?.stickyReplica) {
      const sticky = this.replicas.byName(context.stickyReplica);
      return sticky?.eligible ? { replica: sticky, reason: 'replica' } : { reason: 'primary:replica-left' };
    }
    if (consistency.kind === 'bounded-staleness') {
      const withinBound = (r: Replica) => (r.health.lagSeconds ?? Infinity) * 1000 <= consistency.maxStalenessMs;
      const replica = this.replicas.next(tried, withinBound);
      return replica ? { replica, reason: 'replica:bounded-staleness' } : { reason: 'primary:staleness-bound' };
    }
    if (context?.tokenDistrust) return { reason: `primary:${context.tokenDistrust}` };
    const required = context?.requiredLsn;
    if (required !== undefined) return this.routeToPosition(required, tried);
    const replica = this.replicas.next(tried);
    return replica ? { replica, reason: 'replica' } : this.fallback();
  }

  /** Read-your-writes: a replica known to have replayed `required`, else wait a little for one, else the primary. */
  private async routeToPosition(required: Lsn, tried: ReadonlySet<Replica>): Promise<Route> {
    if (required === UNKNOWN_POSITION) return { reason: 'primary:token-ahead' };
    // Same timeline as the primary that issued the token: a node on a diverged history never satisfies it.
    const timeline = this.primaryPosition.primaryTimeline;
    const caughtUp = (r: Replica) =>
      r.knownReplayLsn !== undefined && r.knownReplayLsn >= required && (timeline === undefined || r.health.timeline === timeline);
    const ready = this.replicas.next(tried, caughtUp);
    if (ready) return { replica: ready, reason: 'replica' };
    const deadline = performance.now() + this.policy.tokenWaitMs;
    while (performance.now() < deadline) {
      const candidates = this.replicas.all().filter((r) => r.eligible && !tried.has(r));
      if (candidates.length === 0) break;
      const started = performance.now();
      await Promise.all(candidates.map(async (r) => r.observeReplay(await r.node.positionAfter(started), r.health.timeline)));
      const replica = this.replicas.next(tried, caughtUp);
      if (replica) return { replica, reason: 'replica:token-wait' };
      await new Promise((r) => setTimeout(r, TOKEN_WAIT_POLL_MS));
    }
    return { reason: 'primary:token-ahead' };
  }

  private fallback(): Route {
    if (this.policy.fallback === 'primary') return { reason: 'primary:no-eligible-replica' };
    if (this.policy.fallback === 'least-lagging') {
      const leastLagging = this.replicas
        .all()
        .filter((r) => !r.draining && r.health.reachable && r.health.inRecovery && (r.health.lagBytes ?? Infinity) <= this.policy.fallbackMaxLagBytes)
        .sort((a, b) => (a.health.lagBytes ?? 0) - (b.health.lagBytes ?? 0))[0];
      if (leastLagging) return { replica: leastLagging, reason: 'replica:least-lagging' };
      throw new ReplicaUnavailableError(`no reachable replica within ${this.policy.fallbackMaxLagBytes} bytes of lag`);
    }
    throw new ReplicaUnavailableError('every replica is excluded (REPLICA_FALLBACK=fail)');
  }
}
