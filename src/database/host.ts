import { DatabaseNode } from './database-node';
import { Lsn, parseLsn } from './lsn';

/**
 * What a node is for: `oltp`, the read rotation (and the primary, wherever it is); `analytics`, reports only
 * (`@Consistency('analytics')`), never an OLTP read, however the rotation runs short.
 */
export type HostPurpose = 'oltp' | 'analytics';

/** What the last probe saw on a node, as `/health/replication` reports it. */
export interface HostHealth {
  name: string;
  address: string;
  purpose: HostPurpose;
  /** What the node is now: roles move when a failover manager promotes a replica. */
  role: 'primary' | 'replica' | 'unknown';
  timeline: number | null;
  reachable: boolean;
  inRecovery: boolean | null;
  replayLsn: string | null;
  receiveLsn: string | null;
  lagBytes: number | null;
  lagSeconds: number | null;
  replayPaused: boolean | null;
  /** recovery_min_apply_delay: a replica delayed on purpose. */
  applyDelayMs: number | null;
  eligible: boolean;
  reason: string | null;
  lastCheckedAt: string | null;
}

/** One probe's verdict: `problem` is null when the replica may serve reads. */
export interface ProbeVerdict {
  problem: string | null;
  /** Exclude now, without waiting for a streak (a role change, not a blip). */
  immediate?: boolean;
  observed: Partial<HostHealth>;
}

export interface Hysteresis {
  /** Consecutive bad probes before an admitted replica is excluded. */
  excludeAfter: number;
  /** Consecutive good probes before an excluded replica is readmitted. */
  readmitAfter: number;
}

/**
 * One node as a read candidate: its health and its eligibility for reads (GitLab's `host.rb`). Every node is
 * one, the primary too (roles move on failover); only a node in recovery can be eligible. A probe changes
 * eligibility only after a streak (hysteresis, so a replica hovering at a threshold does not flap); a failed
 * query excludes it at once.
 */
export class Host {
  private admitted = false;
  private everAdmitted = false;
  /** Admitted without probes (REPLICA_ROUTING=fixed): nothing would ever readmit it. */
  private unprobed = false;
  private badStreak = 0;
  private goodStreak = 0;
  private state: Omit<HostHealth, 'name' | 'address' | 'purpose' | 'eligible'> = {
    role: 'unknown',
    timeline: null,
    reachable: false,
    inRecovery: null,
    replayLsn: null,
    receiveLsn: null,
    lagBytes: null,
    lagSeconds: null,
    replayPaused: null,
    applyDelayMs: null,
    reason: 'not probed yet',
    lastCheckedAt: null,
  };

  /**
   * The highest replay position seen on this replica (by probes or queries) on its current timeline: reads
   * there see at least this. Forgotten when the node goes away or changes timeline: a node that comes back may
   * have been rewound (pg_rewind), and a position on another timeline says nothing about this one.
   */
  private replayed?: Lsn;
  private replayedTimeline?: number | null;
  /** Being removed (it left DNS): no new reads. */
  draining = false;
  /** Configured (DB_PRIMARY_HOST, DB_REPLICA_HOSTS) rather than discovered: DNS never drains it. */
  pinned = false;

  constructor(
    readonly node: DatabaseNode,
    private readonly hysteresis: Hysteresis,
    readonly purpose: HostPurpose = 'oltp',
  ) {}

  get knownReplayLsn(): Lsn | undefined {
    return this.replayed;
  }

  observeReplay(lsn: Lsn | null | undefined, timeline: number | null = this.state.timeline): void {
    if (timeline !== this.replayedTimeline) {
      this.replayed = undefined;
      this.replayedTimeline = timeline;
    }
    if (lsn !== null && lsn !== undefined && (this.replayed === undefined || lsn > this.replayed)) this.replayed = lsn;
  }

  get name(): string {
    return this.node.name;
  }

  get eligible(): boolean {
    return this.admitted && !this.draining;
  }

  get health(): HostHealth {
    const reason = this.draining ? 'draining: removed from discovery' : this.state.reason;
    return { name: this.name, address: this.node.address, purpose: this.purpose, ...this.state, reason, eligible: this.eligible };
  }

  /** REPLICA_ROUTING=fixed: serve reads with no probe ever run. */
  admitWithoutProbes(): void {
    this.admitted = this.everAdmitted = true;
    this.unprobed = true;
    this.state = { ...this.state, reason: null };
  }

  /**
   * A query on this replica failed: stop sending reads now; probes readmit it. A host admitted without probes
   * has none to readmit it: it keeps its reads (the failed one goes elsewhere), or one failure would send every
   * read to the primary until the app restarts.
   */
  markDown(reason: string): void {
    if (this.unprobed) {
      this.state = { ...this.state, reason };
      return;
    }
    this.admitted = false;
    this.goodStreak = 0;
    this.replayed = undefined;
    this.state = { ...this.state, reachable: false, role: 'unknown', reason };
  }

  recordProbe({ problem, immediate = false, observed }: ProbeVerdict, now = new Date()): void {
    this.state = { ...this.state, ...observed, lastCheckedAt: now.toISOString() };
    if (!observed.reachable || observed.role !== 'replica') this.replayed = undefined;
    else if (observed.replayLsn) this.observeReplay(parseLsn(observed.replayLsn), observed.timeline ?? null);
    if (problem === null) {
      this.badStreak = 0;
      this.goodStreak++;
      // The first good probe admits a replica that was never admitted: nothing to be cautious about at start.
      if (!this.admitted && (!this.everAdmitted || this.goodStreak >= this.hysteresis.readmitAfter)) {
        this.admitted = this.everAdmitted = true;
      }
      this.state.reason = this.admitted ? null : `recovering: ${this.goodStreak}/${this.hysteresis.readmitAfter} good probes`;
    } else {
      this.goodStreak = 0;
      this.badStreak++;
      if (this.admitted && (immediate || this.badStreak >= this.hysteresis.excludeAfter)) this.admitted = false;
      this.state.reason = this.admitted ? `${problem} (${this.badStreak}/${this.hysteresis.excludeAfter} bad probes)` : problem;
    }
  }
}
