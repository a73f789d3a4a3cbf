import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import type { NodeProbeRow } from './database-node';
import { DatabaseTopology } from './database-topology';
import { formatLsn, lagBytes, Lsn, parseLsn } from './lsn';
import { electPrimary, RoleObservation } from './primary-election';
import { ProbeVerdict, Host } from './host';
import { LeadershipSource, PatroniLeadership } from './patroni-leadership';

export type { NodeProbeRow };

export interface LagThresholds {
  maxLagBytes: number;
  maxLagSeconds: number;
}

/**
 * What fences the election beyond PostgreSQL's own word (issue 14, item 11): the cluster's system identifier
 * when it is configured (DB_SYSTEM_IDENTIFIER; else the first elected primary's), and Patroni, where it runs.
 */
export interface Fencing {
  systemIdentifier?: string;
  leadership?: LeadershipSource;
}

export interface PrimaryPosition {
  name: string | null;
  reachable: boolean;
  currentLsn: string | null;
  timeline: number | null;
  systemIdentifier: string | null;
  lastCheckedAt: string | null;
  /** Why there is no primary now. */
  problem?: string;
}




/**
 * Consecutive failed probes before the primary is given up while no other node claims the role. One failed
 * probe (a timeout behind other queries, a lost packet) is not a lost primary: giving it up answers every
 * write with 503 until the next round (issue 14, item 7). A primary that answers in recovery, or a node
 * promoted on a later timeline, still counts at once; writes to a primary that is really gone fail on their
 * own (and ask for a round at once).
 */
const PRIMARY_DROP_AFTER_PROBES = 2;

/**
 * Probes every node in the background, never in a request's path: elects the primary (following a failover)
 * and measures each replica's lag on the replica itself (its replay LSN against the primary's current LSN),
 * not from the primary's pg_stat_replication, where a broken replica simply disappears and idle lag columns
 * go NULL.
 */
export class TopologyMonitor {
  private readonly logger = new Logger(TopologyMonitor.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Consecutive rounds in which the current primary did not answer its probe. */
  private primaryMissed = 0;
  /**
   * The cluster's system identifier, configured (DB_SYSTEM_IDENTIFIER) or else pinned by the first primary this
   * process elects: a node that reports another (a clone of another cluster) is never elected and never serves
   * reads, whatever its timeline. Configured, a stray that is the only writable node at start is not pinned.
   */
  private clusterId?: string;
  /** Consecutive rounds in which Patroni on the current primary did not answer (see probeRound). */
  private leaderUnanswered = 0;
  /** The primary's clock minus ours, as the last probe that reached it measured it. */
  private clockOffsetMs = 0;
  /** Whether the current primary is a Galera member, as its last answered probe said. */
  private primaryMultiWriter = false;
  private primaryPosition: PrimaryPosition = {
    name: null,
    reachable: false,
    currentLsn: null,
    timeline: null,
    systemIdentifier: null,
    lastCheckedAt: null,
    problem: 'not probed yet',
  };

  constructor(
    private readonly topology: DatabaseTopology,
    private readonly thresholds: LagThresholds,
    private readonly intervalMs: number,
    private readonly fencing: Fencing = {},
  ) {
    this.clusterId = fencing.systemIdentifier;
  }

  static fromConfig(topology: DatabaseTopology, config: AppConfig): TopologyMonitor {
    const thresholds = { maxLagBytes: config.REPLICA_MAX_LAG_BYTES, maxLagSeconds: config.REPLICA_MAX_LAG_SECONDS };
    const leadership = config.DB_PATRONI_API_PORT === undefined ? undefined : new PatroniLeadership(config.DB_PATRONI_API_PORT, config.REPLICA_PROBE_TIMEOUT_MS);
    return new TopologyMonitor(topology, thresholds, config.REPLICA_PROBE_INTERVAL_MS, { systemIdentifier: config.DB_SYSTEM_IDENTIFIER, leadership });
  }

  get primaryState(): PrimaryPosition {
    return this.primaryPosition;
  }

  /** The primary's position at the last probe: a lower bound of what any read on it now sees. */
  get primaryLsn(): Lsn | undefined {
    return this.primaryPosition.currentLsn ? parseLsn(this.primaryPosition.currentLsn) : undefined;
  }

  /**
   * Now by the primary's clock (ms since the epoch), as the last probe measured it against ours (to within
   * half a probe's round trip); our own clock until a probe has reached a primary. Every app server probes the
   * same primary, so they agree on it however far their own clocks drift apart: consistency tokens are dated
   * and judged by it (issue 14, item 6b).
   */
  databaseNow(): number {
    return Date.now() + this.clockOffsetMs;
  }

  get primaryTimeline(): number | undefined {
    return this.primaryPosition.timeline ?? undefined;
  }

  /** Probes once now (so the first requests already have replicas), then keeps probing with jitter. */
  async start(): Promise<void> {
    await this.probeAll();
    this.schedule();
  }

  private schedule(): void {
    // ±20 % jitter: app servers started together do not probe in lockstep. Five times as often while there is
    // no primary, so that writes resume as soon as the failover manager has promoted one.
    const delay = (this.topology.primary ? this.intervalMs : this.intervalMs / 5) * (0.8 + Math.random() * 0.4);
    this.timer = setTimeout(() => {
      this.running = this.probeAll().finally(() => this.timer && this.schedule());
    }, delay);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round: every node probed at once, the primary elected, each replica judged against it. */
  probeAll(): Promise<void> {
    this.round ??= this.probeRound().finally(() => (this.round = undefined));
    return this.round;
  }

  private round?: Promise<void>;

  private async probeRound(): Promise<void> {
    const replicas = this.topology.hosts.all();
    const rows = await Promise.all(replicas.map((r) => this.probe(r)));
    const observations: RoleObservation[] = replicas.map((r, i) => {
      const row = rows[i];
      return row instanceof Error
        ? { node: r.node, reachable: false }
        : {
            node: r.node,
            reachable: true,
            name: row.cluster_name,
            inRecovery: row.in_recovery,
            readOnly: row.read_only,
            timeline: row.timeline,
            systemIdentifier: row.system_identifier,
            leadership: row.leadership,
            multiWriter: row.multi_writer,
          };
    });
    const current = this.topology.primary;
    const currentIndex = current ? replicas.findIndex((r) => r.node === current) : -1;
    const missed = currentIndex >= 0 && rows[currentIndex] instanceof Error;
    this.primaryMissed = missed ? this.primaryMissed + 1 : 0;
    if (missed && this.primaryMissed < PRIMARY_DROP_AFTER_PROBES) {
      // As it answered last: it stays primary unless another node claims the role on a later timeline.
      observations[currentIndex] = {
        node: current!,
        reachable: true,
        name: current!.name,
        inRecovery: false,
        readOnly: false,
        timeline: this.primaryPosition.timeline,
        systemIdentifier: this.clusterId,
        multiWriter: this.primaryMultiWriter,
      };
      this.logger.warn(`${current!.name} missed a probe (${this.primaryMissed}/${PRIMARY_DROP_AFTER_PROBES}): still primary`);
    }
    this.keepThroughPatroniSilence(currentIndex >= 0 ? observations[currentIndex] : undefined);
    const election = electPrimary(observations, this.clusterId);
    if (election.primary !== current) this.primaryMissed = 0;
    const elected = election.primary ? rows[replicas.findIndex((r) => r.node === election.primary)] : undefined;
    if (this.clusterId === undefined && elected && !(elected instanceof Error)) {
      this.clusterId = elected.system_identifier;
      this.logger.log(`cluster pinned: system identifier ${this.clusterId}`);
    }
    this.followPrimary(election.primary ? replicas.findIndex((r) => r.node === election.primary) : -1, rows, election.reason);
    const primaryLsn = this.primaryLsn ?? null;
    replicas.forEach((replica, i) => this.record(replica, rows[i], primaryLsn, this.primaryTimeline));
  }

  /**
   * Patroni's REST API on the current primary did not answer (Patroni restarting, or busy) while PostgreSQL
   * there still says it is the writable primary of this cluster: it stays primary. Patroni confirmed it when
   * it was elected; with failsafe_mode the primary stays writable even while etcd is down, and dropping it
   * for a REST hiccup would answer every write 503 for nothing. A real failover still takes over: the promoted
   * node is confirmed by its Patroni and on a later timeline. Only the current primary is kept so: a node
   * Patroni never confirmed is not elected on PostgreSQL's word, and one Patroni says does not lead is dropped.
   */
  private keepThroughPatroniSilence(current: RoleObservation | undefined): void {
    const silent = current?.leadership === 'unanswered' && !current.inRecovery && !current.readOnly && current.systemIdentifier === this.clusterId;
    this.leaderUnanswered = silent ? this.leaderUnanswered + 1 : 0;
    if (!silent) return;
    current.leadership = 'leader';
    if (this.leaderUnanswered === 1) this.logger.warn(`Patroni on ${current.name} did not answer; PostgreSQL there still takes writes on this cluster: still primary`);
  }

  /** Probes one node now (a newly discovered one), against the primary position of the last round. */
  async probeNow(replica: Host): Promise<void> {
    this.record(replica, await this.probe(replica), this.primaryLsn ?? null, this.primaryTimeline);
  }

  private async probe(replica: Host): Promise<NodeProbeRow | Error> {
    try {
      const sentAt = Date.now();
      const row = await replica.node.probe();
      if (row.cluster_name) replica.node.name = row.cluster_name;
      const clock = typeof row.clock_ms === 'number' ? { clock_offset_ms: row.clock_ms - (sentAt + Date.now()) / 2 } : {};
      // PostgreSQL's word is enough for a replica; a writable node must also be the one Patroni says leads.
      const writable = !row.in_recovery && !row.read_only;
      const leadership = writable && this.fencing.leadership ? { leadership: await this.fencing.leadership.of(replica.node) } : {};
      return { ...row, ...clock, ...leadership };
    } catch (error) {
      return error as Error;
    }
  }

  private followPrimary(index: number, rows: (NodeProbeRow | Error)[], problem = ''): void {
    const before = this.topology.primary;
    const now = new Date().toISOString();
    const node = index >= 0 ? this.topology.hosts.all()[index].node : undefined;
    this.topology.setPrimary(node, problem);
    if (node) {
      const row = rows[index];
      // Kept through a missed probe (an Error here): its last known position and identity stand.
      if (!(row instanceof Error)) {
        if (row.clock_offset_ms !== undefined) this.clockOffsetMs = row.clock_offset_ms;
        this.primaryMultiWriter = row.multi_writer ?? false;
        this.primaryPosition = {
          name: node.name,
          reachable: true,
          currentLsn: row.lsn,
          timeline: row.timeline,
          systemIdentifier: row.system_identifier,
          lastCheckedAt: now,
        };
      }
    } else {
      // Keep the last known identity and position: tokens stay checkable while there is no primary.
      this.primaryPosition = { ...this.primaryPosition, name: null, reachable: false, lastCheckedAt: now, problem };
    }
    if (before !== node) {
      if (node) this.logger.warn(`primary is now ${node.name} (timeline ${this.primaryPosition.timeline})`);
      else this.logger.error(`no primary: ${problem}; writes fail fast until there is one`);
    }
  }

  /**
   * An analytics replica is never excluded for lag: its replay may wait for a report on purpose (docs/analytics.md),
   * and a report reads what the replica has; /health/replication shows how far behind that is.
   */
  private thresholdsFor(host: Host): LagThresholds {
    return host.purpose === 'analytics' ? NO_LAG_LIMIT : this.thresholds;
  }

  private record(replica: Host, row: NodeProbeRow | Error, primaryLsn: Lsn | null, primaryTimeline: number | undefined): void {
    const verdict: ProbeVerdict =
      row instanceof Error
        ? { problem: `unreachable: ${row.message}`, observed: { reachable: false, role: 'unknown' } }
        : judge(withTimelineKnown(asReadNode(row, replica.node === this.topology.primary), replica.health.timeline), primaryLsn, this.thresholdsFor(replica), primaryTimeline, this.clusterId);
    const wasEligible = replica.eligible;
    replica.recordProbe(verdict);
    if (!wasEligible && replica.eligible) this.logger.log(`${replica.name} admitted for reads`);
    if (wasEligible && !replica.eligible) this.logger.warn(`${replica.name} excluded from reads: ${verdict.problem}`);
  }
}

/**
 * A Galera member the app does not write to serves reads as a replica does: behind the writer by the write sets
 * it has yet to commit. Only the writer is judged as a primary.
 */
function asReadNode(row: NodeProbeRow, isPrimary: boolean): NodeProbeRow {
  return row.multi_writer && !isPrimary ? { ...row, in_recovery: true, receiving: true } : row;
}

const NO_LAG_LIMIT: LagThresholds = { maxLagBytes: Infinity, maxLagSeconds: Infinity };

/**
 * A replica whose WAL receiver is down (its primary just died, say) shows only its last restartpoint's timeline,
 * which may be older than the one it replays on: then the timeline it showed before stands (a node's timeline
 * never goes back), so it is not taken for a node on a diverged history.
 */
function withTimelineKnown(row: NodeProbeRow, shownBefore: number | null): NodeProbeRow {
  const lowerBoundOnly = row.in_recovery && !row.receiving;
  return lowerBoundOnly && shownBefore !== null && row.timeline !== null && shownBefore > row.timeline ? { ...row, timeline: shownBefore } : row;
}

/** Pure: turns one probe row into observations and a problem (or none). Exported for unit tests. */
export function judge(row: NodeProbeRow, primaryLsn: Lsn | null, thresholds: LagThresholds, primaryTimeline?: number, clusterId?: string): ProbeVerdict {
  const base = { reachable: true, inRecovery: row.in_recovery, timeline: row.timeline, applyDelayMs: row.apply_delay_ms ?? 0 };
  // Another cluster's node (a clone, a PITR copy of another database) has data this cluster never had.
  if (clusterId !== undefined && row.system_identifier !== clusterId) {
    const problem = `belongs to another cluster (system identifier ${row.system_identifier}, this cluster's ${clusterId})`;
    return { problem, immediate: true, observed: { ...base, role: 'unknown', replayPaused: null } };
  }
  // A node out of recovery is a primary (this cluster's, or a stray one): never a replica, not even for a probe's length.
  if (!row.in_recovery) {
    return { problem: 'not in recovery: this node takes writes', immediate: true, observed: { ...base, role: 'primary', replayPaused: false } };
  }
  const replay = row.lsn ? parseLsn(row.lsn) : null;
  const bytes = primaryLsn !== null && replay !== null ? lagBytes(primaryLsn, replay) : null;
  // Idle-safe: a replica that has replayed everything is 0 s behind, however long ago the last commit was
  // (now() - pg_last_xact_replay_timestamp() alone grows forever on an idle primary).
  const seconds = bytes === 0 ? 0 : bytes === null ? null : Math.max(0, row.replay_age_seconds ?? 0);
  const observed = {
    ...base,
    role: 'replica' as const,
    replayLsn: replay === null ? null : formatLsn(replay),
    receiveLsn: row.receive_lsn,
    lagBytes: bytes,
    lagSeconds: seconds === null ? null : Math.round(seconds * 1000) / 1000,
    replayPaused: row.paused,
  };
  // Behind the primary's timeline: not yet following the promoted node, or back from before a failover with a
  // history that may have diverged (until pg_rewind and streaming put it on the new timeline).
  if (primaryTimeline !== undefined && row.timeline !== null && row.timeline < primaryTimeline) {
    return { problem: `on timeline ${row.timeline}, the primary on ${primaryTimeline}`, immediate: true, observed };
  }
  let problem: string | null = null;
  if (replay === null) problem = 'nothing replayed yet';
  // With the primary unreachable, lag is unknown: keep serving reads from replicas rather than from nowhere.
  else if (bytes !== null && bytes > thresholds.maxLagBytes) problem = `lag ${bytes} bytes > ${thresholds.maxLagBytes}`;
  else if ((seconds ?? 0) > thresholds.maxLagSeconds) problem = `lag ${seconds!.toFixed(1)} s > ${thresholds.maxLagSeconds} s`;
  return { problem, observed };
}
