import { Pool, PoolClient, PoolConfig } from 'pg';
import { performance } from 'node:perf_hooks';
import type { DatabaseNode, NodeEndpoint, NodeProbeRow, NodeSettings, PoolCounts, PoolKind } from './database-node';
import { Lsn } from './lsn';
import { POSITION, positionIn, PositionTrackingClient } from './position-tracking-client';

/** A connection checked out of one of the node's pools; `release(error)` destroys it instead of reusing it. */
export type PostgresConnection = PositionTrackingClient & PoolClient;

/** The topology monitor's probe: what TopologyMonitor judges a node by (NodeProbeRow). */
const PROBE = `
  -- The node's name: node.name where a failover manager owns cluster_name (Patroni sets it to the cluster's
  -- scope on every node), else cluster_name.
  SELECT coalesce(nullif(current_setting('node.name', true), ''), current_setting('cluster_name')) AS cluster_name,
         pg_is_in_recovery() AS in_recovery,
         current_setting('transaction_read_only') = 'on' AS read_only,
         (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn,
         pg_last_wal_receive_lsn()::text AS receive_lsn,
         CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused,
         extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_age_seconds,
         -- Not pg_settings: that view builds every setting on each call (about 10 ms of the server's CPU per probe).
         (extract(epoch FROM current_setting('recovery_min_apply_delay')::interval) * 1000)::int AS apply_delay_ms,
         -- A primary's timeline is in its current WAL file's name (the checkpoint's may be older just after a
         -- promotion); a replica's is the one its WAL receiver streams on.
         CASE WHEN pg_is_in_recovery()
              THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint()))
              ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline,
         EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE received_tli IS NOT NULL) AS receiving,
         (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier,
         (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS clock_ms`;

const STREAM_POOL_MAX = 4;

/**
 * One PostgreSQL server, whatever its role today (a failover manager moves roles between nodes). It has its
 * own pools: reads (sessions with default_transaction_read_only, so a write sent there by mistake fails loudly
 * instead of landing on the wrong node), writes (created when the node first serves as primary), streams, and
 * two one-connection pools with a short timeout: one for the topology monitor's probes, so a probe never waits
 * behind app queries, and one for readiness checks, so that a burst of them never times out the probe that
 * elects the primary (issue 14, item 7).
 * Pools connect lazily: the app starts with any node down.
 */
export class PostgresNode implements DatabaseNode {
  /** The server's own node name once a probe has read it (`db-replica-1`), else the configured host. */
  name: string;
  private readonly pools: Partial<Record<PoolKind, Pool>> = {};
  /** The topology monitor's: the election and the lag measure. */
  readonly probes: Pool;
  /** `/health/ready`'s: its callers (load balancers, orchestrators, anyone) must not reach the election's. */
  readonly readinessProbes: Pool;
  private positionQuery?: { startedAt: number; result: Promise<Lsn | null> };
  /** Position queries sent: riding in a statement's round trip (PositionTrackingClient), or on their own. */
  readonly positionQueries = { pipelined: 0, ownRoundTrip: 0 };

  constructor(
    readonly endpoint: NodeEndpoint,
    private readonly settings: NodeSettings,
  ) {
    this.name = endpoint.host;
    this.probes = this.probePool('probe');
    this.readinessProbes = this.probePool('readiness');
  }

  private probePool(purpose: string): Pool {
    const { user, password, database, applicationName, probeTimeoutMs } = this.settings;
    const pool = new Pool({
      host: this.endpoint.host,
      port: this.endpoint.port,
      user,
      password,
      database,
      application_name: `${applicationName}-${purpose}`,
      max: 1,
      connectionTimeoutMillis: probeTimeoutMs,
      statement_timeout: probeTimeoutMs,
      query_timeout: probeTimeoutMs + 200,
      idleTimeoutMillis: 0,
    });
    pool.on('error', () => undefined); // a dropped idle connection; the next probe reports it
    return pool;
  }

  get address(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  /** Connections of the node's query pools together (zero before the first); metrics read them. */
  get pool(): PoolCounts {
    const pools = Object.values(this.pools);
    const sum = (count: (pool: Pool) => number) => pools.reduce((total, pool) => total + count(pool), 0);
    return { total: sum((p) => p.totalCount), idle: sum((p) => p.idleCount), waiting: sum((p) => p.waitingCount) };
  }

  /** A connection from the `kind` pool; the caller releases it. */
  connect(kind: PoolKind): Promise<PostgresConnection> {
    return this.poolFor(kind).connect() as Promise<PostgresConnection>;
  }

  async probe(): Promise<NodeProbeRow> {
    const { rows } = await this.probes.query<NodeProbeRow>(PROBE);
    return rows[0];
  }

  async checkWritable(): Promise<void> {
    const { rows } = await this.readinessProbes.query<{ in_recovery: boolean; read_only: string }>(
      "SELECT pg_is_in_recovery() AS in_recovery, current_setting('transaction_read_only') AS read_only",
    );
    if (rows[0].in_recovery || rows[0].read_only === 'on') throw new Error(`${this.name} is not writable`);
  }

  /**
   * The node's position, read by a query that started after `moment` (a performance.now() value): an upper
   * bound of what any query finished by then has seen. Concurrent callers share one query, so under load this
   * costs far less than a round trip per request.
   */
  positionAfter(moment: number): Promise<Lsn | null> {
    const current = this.positionQuery;
    if (current && current.startedAt >= moment) return current.result;
    const startedAt = performance.now();
    this.positionQueries.ownRoundTrip++;
    const result = this.poolFor('reads')
      .query<{ lsn: string | null }>(POSITION)
      .then(({ rows }) => positionIn(rows))
      .catch(() => null);
    this.positionQuery = { startedAt, result };
    return result;
  }

  private poolFor(kind: PoolKind): Pool {
    return (this.pools[kind] ??= this.createPool(kind));
  }

  private createPool(kind: PoolKind): Pool {
    const { user, password, database, statementTimeoutMs, readPoolMax, writePoolMax, connectTimeoutMs, applicationName, poolIdleTimeoutMs } = this.settings;
    const pool = new Pool({
      Client: PositionTrackingClient,
      host: this.endpoint.host,
      port: this.endpoint.port,
      user,
      password,
      database,
      application_name: applicationName,
      max: kind === 'writes' ? writePoolMax : kind === 'reads' ? readPoolMax : STREAM_POOL_MAX,
      connectionTimeoutMillis: connectTimeoutMs,
      idleTimeoutMillis: poolIdleTimeoutMs,
      // Queries sent before the previous one answered go out at once: a position query rides along.
      pipeline: kind !== 'streams',
      onPipelinedPosition: () => this.positionQueries.pipelined++,
      statement_timeout: statementTimeoutMs,
      // Client-side bound too: a frozen server never answers, so its own statement_timeout never fires.
      query_timeout: statementTimeoutMs + 1000,
      idle_in_transaction_session_timeout: statementTimeoutMs * 2,
      ...(kind === 'writes' ? {} : { options: '-c default_transaction_read_only=on' }),
      // PositionTrackingClient's own settings ride along in the pool's config (pg passes it to each client).
    } as unknown as PoolConfig);
    pool.on('error', () => undefined); // an idle connection dropped (node restarted): the next checkout reconnects
    return pool;
  }

  async close(): Promise<void> {
    const pools = Object.values(this.pools);
    for (const kind of Object.keys(this.pools) as PoolKind[]) this.pools[kind] = undefined;
    await Promise.allSettled([...pools.map((pool) => pool.end()), this.probes.end(), this.readinessProbes.end()]);
  }
}
