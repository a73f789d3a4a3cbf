import { performance } from 'node:perf_hooks';
import { createPool, Pool, PoolConnection, PoolOptions } from 'mysql2';
import type { DatabaseNode, NodeConnection, NodeEndpoint, NodeProbeRow, NodeSettings, PoolCounts, PoolKind } from './database-node';
import { sequenceInDomain } from './gtid';
import { formatLsn, Lsn } from './lsn';

/** What a statement answers through mysql2's promise API: rows (a read) or a header (a write, COMMIT). */
type Answer = [unknown, unknown];

/** mysql2's ResultSetHeader with the session state the server tracked (session_track_system_variables). */
interface TrackedHeader {
  stateChanges?: { systemVariables?: Record<string, string> };
}

/**
 * An upper bound of what a read on the node has seen: what it wrote to its binary log, its own writes or (with
 * log_slave_updates) what it applied. A transaction is in the binary log before its commit is visible (the binlog is
 * written between InnoDB's prepare and commit), so this may run ahead of the data, never behind it.
 */
const SEEN_POSITION = 'SELECT @@global.gtid_current_pos AS position';

/**
 * What the node has applied, a lower bound of what a read there sees: on a replica gtid_slave_pos, which the
 * replication thread moves once the transaction has committed (gtid_current_pos would count a transaction still
 * between binlog and commit, and a read trusting it found a row missing); on the primary, its binary log.
 */
const APPLIED_POSITION = 'SELECT IF(@@global.read_only, @@global.gtid_slave_pos, @@global.gtid_binlog_pos) AS position';

/**
 * Waits until a Galera member has committed the write set `?` (a GTID), for at most `?` whole seconds (1205 after).
 * WSREP_SYNC_WAIT_UPTO_GTID alone returns a moment too soon now and then: measured on the harness with writes on
 * every node, the row was missing from the next read in 15–26 of 30 000 pairs (the waiters are released from the
 * commit's ordering hook). The statement's causal check (wsrep_sync_wait=1, Galera's own read-your-writes: it waits
 * for the node to commit what the cluster had ordered when the statement began, the token among it) closes that
 * window: 0 of 30 000, whichever connection reads next (docs/galera.md).
 */
export const GALERA_TOKEN_WAIT = 'SET STATEMENT wsrep_sync_wait = 1 FOR SELECT WSREP_SYNC_WAIT_UPTO_GTID(?, ?)';

/** A node's position in `domain`: 0 while the domain has no transaction yet (a new topology), as PostgreSQL's first LSN. */
const positionIn = (gtids: string | null | undefined, domain: number): Lsn => sequenceInDomain(gtids, domain) ?? 0n;

/**
 * A connection of a MariaDbNode's pools, as RoutedMariaDbConnection drives it. On the primary, the position of a
 * write comes with the answer to the statement that committed it: the session tracks `last_gtid`, so the server
 * puts the transaction's GTID in the OK packet, with no query of its own. A read's position (on a replica, where
 * nothing commits) is asked once when the lease ends, in a round trip of its own: MariaDB's protocol has no
 * pipeline for it to ride in.
 */
export class MariaDbConnection implements NodeConnection {
  private behind?: (text: string) => boolean;
  private committedAt: Lsn | null = null;
  private readSince = false;

  constructor(
    readonly connection: PoolConnection,
    private readonly domain: number,
    /** Counts a position asked in a round trip of its own (the node's positionQueries). */
    private readonly onOwnRoundTrip: () => void,
  ) {}

  async query(sql: string | { sql: string }, values?: unknown): Promise<Answer> {
    const answer = (await this.connection.promise().query(sql as string, values as never)) as unknown as Answer;
    const text = typeof sql === 'string' ? sql : sql.sql;
    if (this.behind?.(text)) {
      const gtid = (answer[0] as TrackedHeader | undefined)?.stateChanges?.systemVariables?.last_gtid;
      const sequence = sequenceInDomain(gtid, this.domain);
      if (sequence !== null) this.committedAt = this.committedAt === null || sequence > this.committedAt ? sequence : this.committedAt;
      else this.readSince = true;
    }
    return answer;
  }

  trackPositions(behind: (text: string) => boolean): void {
    this.behind = behind;
    this.committedAt = null;
    this.readSince = false;
  }

  /** The last commit's position; after reads (or a commit that wrote nothing), the node's current position. */
  async stopTracking(): Promise<Lsn | null> {
    if (!this.behind) return null;
    this.behind = undefined;
    if (this.committedAt !== null && !this.readSince) return this.committedAt;
    this.onOwnRoundTrip();
    try {
      const [rows] = (await this.connection.promise().query(SEEN_POSITION)) as unknown as [{ position: string }[]];
      return positionIn(rows[0]?.position, this.domain);
    } catch {
      return null;
    }
  }

  on(event: 'error', listener: (error: Error) => void): unknown {
    return this.connection.on(event, listener);
  }

  off(event: 'error', listener: (error: Error) => void): unknown {
    return this.connection.off(event, listener);
  }

  release(error?: Error): void {
    if (error) this.connection.destroy();
    else this.connection.release();
  }
}

/** A probe's answer before it becomes a NodeProbeRow. */
interface ProbeAnswer {
  read_only: number;
  position: string | null;
  clock_ms: string | number;
  server_id: string | number;
  wsrep_state?: string | null;
}

const PROBE = `SELECT @@global.read_only AS read_only, IF(@@global.read_only, @@global.gtid_slave_pos, @@global.gtid_binlog_pos) AS position,
  UNIX_TIMESTAMP(NOW(6)) * 1000 AS clock_ms, @@global.server_id AS server_id`;

/**
 * A Galera member's: its write sets' GTIDs are in its binary log as it commits them, and it serves the app only
 * while Synced (a donor, a joiner or a node without quorum answers 1047 or serves old data).
 */
const GALERA_PROBE = `SELECT @@global.read_only AS read_only, @@global.gtid_binlog_pos AS position, UNIX_TIMESTAMP(NOW(6)) * 1000 AS clock_ms,
  @@global.server_id AS server_id,
  (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT') AS wsrep_state`;

/** What a MariaDbNode needs beyond PostgreSQL's settings. */
export interface MariaDbSettings extends NodeSettings {
  /** The GTID domain the primary writes in (DB_GTID_DOMAIN_ID): its sequence numbers are the routing's positions. */
  gtidDomainId: number;
  /** A member of a Galera cluster (DB_TOPOLOGY=galera): writable alongside the others. */
  galera?: boolean;
}

/**
 * One MariaDB server of a primary/replicas topology, whatever its role today, with mysql2 pools of its own:
 * reads (sessions in READ ONLY transactions, so a write sent there by mistake fails loudly), writes (sessions
 * that track `last_gtid`), streams, and one-connection pools for the probe and for readiness.
 *
 * MariaDB has no recovery state: a replica is a node with read_only=ON (the app's user cannot bypass it). The
 * probe reads it and the node's applied position (APPLIED_POSITION) without privileges beyond the app's (SHOW SLAVE STATUS would need
 * SLAVE MONITOR), so lag is the primary's sequence number minus the replica's: transactions, where PostgreSQL
 * counts bytes. Positions show in LSN notation (`0/39` is sequence 57); /health/replication's `positions` says so.
 */
export class MariaDbNode implements DatabaseNode {
  name: string;
  private readonly pools: Partial<Record<PoolKind, Pool>> = {};
  private readonly probes: Pool;
  private readonly readinessProbes: Pool;
  private positionQuery?: { startedAt: number; result: Promise<Lsn | null> };
  /** The node's server_id, from its probes: Galera's wait names a GTID whole, server_id included. */
  private serverId = 0;
  readonly readPositionsMayRunAhead = true;
  readonly readPositionsCostATrip = true;
  readonly positionQueries = { pipelined: 0, ownRoundTrip: 0 };

  constructor(
    readonly endpoint: NodeEndpoint,
    private readonly settings: MariaDbSettings,
  ) {
    this.name = endpoint.host;
    this.probes = this.createPool(1, []);
    this.readinessProbes = this.createPool(1, []);
  }

  get address(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  get pool(): PoolCounts {
    const pools = Object.values(this.pools) as unknown as MysqlPoolInternals[];
    const sum = (count: (pool: MysqlPoolInternals) => number) => pools.reduce((total, pool) => total + count(pool), 0);
    return { total: sum((p) => p._allConnections.length), idle: sum((p) => p._freeConnections.length), waiting: sum((p) => p._connectionQueue.length) };
  }

  async connect(kind: PoolKind): Promise<MariaDbConnection> {
    const connection = await this.poolFor(kind).promise().getConnection();
    // The promise API's connection wraps the callback one, which is what MariaDbConnection (and TypeORM) drive.
    const raw = (connection as unknown as { connection: PoolConnection }).connection;
    return new MariaDbConnection(raw, this.settings.gtidDomainId, () => this.positionQueries.ownRoundTrip++);
  }

  async probe(): Promise<NodeProbeRow> {
    const { galera = false } = this.settings;
    const [rows] = await this.probes.promise().query(galera ? GALERA_PROBE : PROBE);
    const answer = (rows as ProbeAnswer[])[0];
    // Not Synced (joining, donating, or cut off from the primary component): as good as unreachable.
    if (galera && answer.wsrep_state !== 'Synced') throw new Error(`${this.name} is not a synced Galera member (${answer.wsrep_state ?? 'no wsrep'})`);
    this.serverId = Number(answer.server_id);
    const sequence = positionIn(answer.position, this.settings.gtidDomainId);
    // A member's binary log runs ahead of its commits by the write sets being committed: the position is reported
    // once they are visible, or reads routed by it could miss them.
    if (galera && sequence > 0n) await this.probes.promise().query(GALERA_TOKEN_WAIT, [this.gtidOf(sequence), 1]);
    const readOnly = Number(answer.read_only) === 1;
    return {
      multi_writer: galera,
      cluster_name: '',
      in_recovery: readOnly,
      read_only: readOnly,
      lsn: formatLsn(sequence),
      receive_lsn: null,
      paused: false,
      replay_age_seconds: null,
      apply_delay_ms: 0,
      timeline: 1,
      receiving: readOnly,
      // MariaDB has no cluster identifier: the topology is its GTID domain, whose sequence numbers are the positions.
      // Decimal, as PostgreSQL's system_identifier is: tokens carry it, and their codec accepts digits only.
      system_identifier: String(this.settings.gtidDomainId),
      clock_ms: Number(answer.clock_ms),
    };
  }

  async checkWritable(): Promise<void> {
    const [rows] = await this.readinessProbes.promise().query('SELECT @@global.read_only AS read_only');
    if (Number((rows as { read_only: number }[])[0].read_only) === 1) throw new Error(`${this.name} is not writable`);
  }

  /**
   * What the node has applied, asked after `moment`: on a replica a lower bound of what reads there see, which is
   * what the token wait needs (its reads' own positions are asked behind them, SEEN_POSITION); on the primary,
   * where reads without a position are bounded by it, its binary log, every commit there included.
   */
  positionAfter(moment: number): Promise<Lsn | null> {
    const current = this.positionQuery;
    if (current && current.startedAt >= moment) return current.result;
    const startedAt = performance.now();
    this.positionQueries.ownRoundTrip++;
    const result = this.poolFor('reads')
      .promise()
      .query(APPLIED_POSITION)
      .then(([rows]) => positionIn((rows as { position: string }[])[0]?.position, this.settings.gtidDomainId))
      .catch(() => null);
    this.positionQuery = { startedAt, result };
    return result;
  }

  /**
   * MASTER_GTID_WAIT: the replica answers 0 as soon as its gtid_slave_pos reaches the position's sequence number in
   * the domain (it compares sequence numbers, whatever the server_id), -1 at the timeout. One statement, no polling.
   */
  async waitForPosition(position: Lsn, timeoutMs: number): Promise<boolean> {
    if (timeoutMs <= 0) return false;
    if (this.settings.galera) return this.waitForWriteSet(position, timeoutMs);
    try {
      const gtid = `${this.settings.gtidDomainId}-0-${position}`;
      const [rows] = await this.poolFor('reads').promise().query('SELECT MASTER_GTID_WAIT(?, ?) AS waited', [gtid, timeoutMs / 1000]);
      return Number((rows as { waited: number | null }[])[0]?.waited) === 0;
    } catch {
      return false;
    }
  }

  /**
   * GALERA_TOKEN_WAIT: returns once the node has committed the write set, and fails (1205) at the timeout, in whole
   * seconds: the load balancer stops waiting at its own budget, and the statement then ends on its own.
   */
  private async waitForWriteSet(position: Lsn, timeoutMs: number): Promise<boolean> {
    try {
      await this.poolFor('reads').promise().query(GALERA_TOKEN_WAIT, [this.gtidOf(position), Math.max(1, Math.ceil(timeoutMs / 1000))]);
      return true;
    } catch {
      return false;
    }
  }

  private gtidOf(position: Lsn): string {
    return `${this.settings.gtidDomainId}-${this.serverId}-${position}`;
  }

  private poolFor(kind: PoolKind): Pool {
    const { readPoolMax, writePoolMax, statementTimeoutMs } = this.settings;
    const max = kind === 'writes' ? writePoolMax : kind === 'reads' ? readPoolMax : 4;
    const timeout = `SET SESSION max_statement_time = ${statementTimeoutMs / 1000}`;
    // DATETIME columns hold UTC (mysql2's timezone 'Z'); their server-side defaults (CURRENT_TIMESTAMP) too.
    const utc = "SET SESSION time_zone = '+00:00'";
    // Writes: the server returns each commit's GTID with its answer. Reads: a write sent here fails (1792).
    const session = kind === 'writes' ? ["SET SESSION session_track_system_variables = 'last_gtid'"] : ['SET SESSION TRANSACTION READ ONLY'];
    return (this.pools[kind] ??= this.createPool(max, [timeout, utc, ...session]));
  }

  /** A pool whose every new connection runs `session` first (mysql2 queues a connection's statements in order). */
  private createPool(connectionLimit: number, session: string[]): Pool {
    const { user, password, database, connectTimeoutMs, poolIdleTimeoutMs } = this.settings;
    const options: PoolOptions = {
      host: this.endpoint.host,
      port: this.endpoint.port,
      user,
      password,
      database,
      connectionLimit,
      connectTimeout: connectTimeoutMs,
      idleTimeout: poolIdleTimeoutMs,
      maxIdle: connectionLimit,
      // DATETIME values as the app wrote them (UTC), never shifted by this process's time zone.
      timezone: 'Z',
    };
    const pool = createPool(options);
    pool.on('connection', (connection) => {
      connection.on('error', () => undefined); // a dropped idle connection; the next checkout reconnects
      for (const statement of session) connection.query(statement);
    });
    return pool;
  }

  async close(): Promise<void> {
    const pools = Object.values(this.pools);
    for (const kind of Object.keys(this.pools) as PoolKind[]) this.pools[kind] = undefined;
    await Promise.allSettled([...pools, this.probes, this.readinessProbes].map((pool) => pool.promise().end()));
  }
}

/** mysql2's pool counts: not in its typings, the same fields it reads itself. */
interface MysqlPoolInternals {
  _allConnections: { length: number };
  _freeConnections: { length: number };
  _connectionQueue: { length: number };
}
