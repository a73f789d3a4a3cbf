import { Logger } from '@nestjs/common';
import { DatabaseNode } from './database-node';
import { formatLsn, lagBytes, Lsn, parseLsn } from './lsn';
import { ProbeVerdict, Replica } from './replica';
import { ReplicaList } from './replica-list';

export interface LagThresholds {
  maxLagBytes: number;
  maxLagSeconds: number;
}

export interface PrimaryPosition {
  name: string;
  reachable: boolean;
  currentLsn: string | null;
  timeline: number | null;
  systemIdentifier: string | null;
  lastCheckedAt: string | null;
  error?: string;
}

interface ReplicaProbeRow {
  cluster_name: string;
  in_recovery: boolean;
  replay_lsn: string | null;
  receive_lsn: string | null;
  paused: boolean;
  replay_age_seconds: number | null;
  apply_delay_ms: number;
}

/**
 * Probes the primary and every replica in the background, never in a request's path. Lag is measured on
 * each replica itself (its replay LSN against the primary's current LSN), not read from the primary's
 * pg_stat_replication, where a broken replica simply disappears and idle lag columns go NULL.
 */
export class ReplicaLagMonitor {
  private readonly logger = new Logger(ReplicaLagMonitor.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private primaryPosition: PrimaryPosition;

  constructor(
    private readonly primary: DatabaseNode,
    private readonly replicas: ReplicaList,
    private readonly thresholds: LagThresholds,
    private readonly intervalMs: number,
  ) {
    this.primaryPosition = { name: primary.name, reachable: false, currentLsn: null, timeline: null, systemIdentifier: null, lastCheckedAt: null };
  }

  get primaryState(): PrimaryPosition {
    return this.primaryPosition;
  }

  /** The primary's position at the last probe: a lower bound of what any read on it now sees. */
  get primaryLsn(): Lsn | undefined {
    return this.primaryPosition.currentLsn ? parseLsn(this.primaryPosition.currentLsn) : undefined;
  }

  /** Probes once now (so the first requests already have replicas), then keeps probing with jitter. */
  async start(): Promise<void> {
    await this.probeAll();
    this.schedule();
  }

  private schedule(): void {
    // ±20 % jitter: app servers started together do not probe in lockstep.
    const delay = this.intervalMs * (0.8 + Math.random() * 0.4);
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

  async probeAll(): Promise<void> {
    const primaryLsn = await this.probePrimary();
    await Promise.all(this.replicas.all().map((replica) => this.probeReplica(replica, primaryLsn)));
  }

  private async probePrimary(): Promise<Lsn | null> {
    const now = new Date().toISOString();
    try {
      const { rows } = await this.primary.probes.query(
        `SELECT pg_current_wal_lsn()::text AS lsn, current_setting('cluster_name') AS cluster_name,
                (SELECT timeline_id FROM pg_control_checkpoint()) AS timeline,
                (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier`,
      );
      const [row] = rows;
      if (row.cluster_name) this.primary.name = row.cluster_name;
      this.primaryPosition = {
        name: this.primary.name,
        reachable: true,
        currentLsn: row.lsn,
        timeline: row.timeline,
        systemIdentifier: row.system_identifier,
        lastCheckedAt: now,
      };
      return parseLsn(row.lsn);
    } catch (error) {
      this.primaryPosition = { ...this.primaryPosition, reachable: false, lastCheckedAt: now, error: (error as Error).message };
      return null;
    }
  }

  /** Probes one replica now (a newly discovered one), against the primary position of the last round. */
  probeNow(replica: Replica): Promise<void> {
    return this.probeReplica(replica, this.primaryLsn ?? null);
  }

  private async probeReplica(replica: Replica, primaryLsn: Lsn | null): Promise<void> {
    let verdict: ProbeVerdict;
    try {
      const { rows } = await replica.node.probes.query<ReplicaProbeRow>(
        `SELECT current_setting('cluster_name') AS cluster_name, pg_is_in_recovery() AS in_recovery,
                pg_last_wal_replay_lsn()::text AS replay_lsn, pg_last_wal_receive_lsn()::text AS receive_lsn,
                CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused,
                extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_age_seconds,
                (SELECT setting::int FROM pg_settings WHERE name = 'recovery_min_apply_delay') AS apply_delay_ms`,
      );
      if (rows[0].cluster_name) replica.node.name = rows[0].cluster_name;
      verdict = judge(rows[0], primaryLsn, this.thresholds);
    } catch (error) {
      verdict = { problem: `unreachable: ${(error as Error).message}`, observed: { reachable: false } };
    }
    const wasEligible = replica.eligible;
    replica.recordProbe(verdict);
    if (!wasEligible && replica.eligible) this.logger.log(`${replica.name} admitted for reads`);
    if (wasEligible && !replica.eligible) this.logger.warn(`${replica.name} excluded from reads: ${verdict.problem}`);
  }
}

/** Pure: turns one probe row into observations and a problem (or none). Exported for unit tests. */
export function judge(row: ReplicaProbeRow, primaryLsn: Lsn | null, thresholds: LagThresholds): ProbeVerdict {
  const replay = row.replay_lsn ? parseLsn(row.replay_lsn) : null;
  const bytes = primaryLsn !== null && replay !== null ? lagBytes(primaryLsn, replay) : null;
  // Idle-safe: a replica that has replayed everything is 0 s behind, however long ago the last commit was
  // (now() - pg_last_xact_replay_timestamp() alone grows forever on an idle primary).
  const seconds = bytes === 0 ? 0 : bytes === null ? null : Math.max(0, row.replay_age_seconds ?? 0);
  const observed = {
    reachable: true,
    inRecovery: row.in_recovery,
    replayLsn: replay === null ? null : formatLsn(replay),
    receiveLsn: row.receive_lsn,
    lagBytes: bytes,
    lagSeconds: seconds === null ? null : Math.round(seconds * 1000) / 1000,
    replayPaused: row.paused,
    applyDelayMs: row.apply_delay_ms ?? 0,
  };
  let problem: string | null = null;
  if (!row.in_recovery) problem = 'not in recovery: this node is not a replica';
  else if (replay === null) problem = 'nothing replayed yet';
  // With the primary unreachable, lag is unknown: keep serving reads from replicas rather than from nowhere.
  else if (bytes !== null && bytes > thresholds.maxLagBytes) problem = `lag ${bytes} bytes > ${thresholds.maxLagBytes}`;
  else if ((seconds ?? 0) > thresholds.maxLagSeconds) problem = `lag ${seconds!.toFixed(1)} s > ${thresholds.maxLagSeconds} s`;
  return { problem, observed };
}
