import type { Lsn } from './lsn';
import type { Leadership } from './patroni-leadership';
import type { PositionSource } from './session';

export interface NodeEndpoint {
  host: string;
  port: number;
}

/** The query pools' connections, as the driver counts them. */
export interface PoolCounts {
  total: number;
  idle: number;
  /** Callers queued for a connection: the pool is exhausted. */
  waiting: number;
}

export interface NodeSettings {
  user: string;
  password: string;
  database: string;
  /** Connections per node for reads (DB_POOL_MAX_REPLICA) and, on the primary, for writes (DB_POOL_MAX_PRIMARY). */
  readPoolMax: number;
  writePoolMax: number;
  /** DB_POOL_IDLE_TIMEOUT_MS */
  poolIdleTimeoutMs: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  probeTimeoutMs: number;
  applicationName: string;
}

/**
 * `reads`: read-only sessions. `writes`: read-write, only ever asked of the primary. `streams`: read-only and
 * not pipelined (a cursor keeps a portal open across round trips, which pipeline mode refuses).
 */
export type PoolKind = 'reads' | 'writes' | 'streams';

/** One node as a probe sees it. `lsn` is the replay position in recovery, the current position otherwise. */
export interface NodeProbeRow {
  cluster_name: string;
  in_recovery: boolean;
  read_only: boolean;
  lsn: string | null;
  receive_lsn: string | null;
  paused: boolean;
  replay_age_seconds: number | null;
  apply_delay_ms: number;
  timeline: number | null;
  /** In recovery, whether a WAL receiver streams now: without one, `timeline` is only the last restartpoint's. */
  receiving: boolean;
  system_identifier: string;
  /** The node's clock, ms since the epoch. */
  clock_ms: number | null;
  /** Takes writes alongside other nodes (a Galera member): several may be writable at once, and that is no split. */
  multi_writer?: boolean;
  /** Not a column: the node's clock minus ours, at the probe's midpoint (see TopologyMonitor's probe()). */
  clock_offset_ms?: number;
  /** Not a column: what Patroni on a writable node says of it (asked only where Patroni runs). */
  leadership?: Leadership;
}

/**
 * A connection checked out of one of a node's pools, as RoutedConnection drives it: statements, the positions
 * read behind them, and `release(error)`, which destroys it instead of reusing it.
 */
export interface NodeConnection {
  query(...args: never[]): unknown;
  /** Read the node's position behind each statement `behind` accepts, in that statement's round trip. */
  trackPositions(behind: (text: string) => boolean): void;
  /** Stops tracking; the position read behind the last tracked statement, or null. */
  stopTracking(): Promise<Lsn | null>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  release(error?: Error): void;
}

/**
 * One database server, whatever its role today (a failover manager moves roles between nodes), as the routing
 * sees it: its pools, the topology monitor's probe, and its position. PostgresNode is PostgreSQL's.
 */
export interface DatabaseNode extends PositionSource {
  /** The server's own node name once a probe has read it (`db-replica-1`), else the configured host. */
  name: string;
  readonly endpoint: NodeEndpoint;
  readonly address: string;
  /** Connections of the node's query pools together (zero before the first); metrics read them. */
  readonly pool: PoolCounts;
  /** Position queries sent: riding in a statement's round trip, or on their own. */
  readonly positionQueries: { pipelined: number; ownRoundTrip: number };
  /** A connection from the `kind` pool; the caller releases it. */
  connect(kind: PoolKind): Promise<NodeConnection>;
  /** The topology monitor's probe, on a connection of its own: a probe never waits behind app queries. */
  probe(): Promise<NodeProbeRow>;
  /**
   * Throws unless the node takes writes now. `/health/ready`'s, on a connection of its own: a burst of them must
   * never time out the probe that elects the primary (issue 14, item 7).
   */
  checkWritable(): Promise<void>;
  /**
   * Where the server can wait for a position itself (MariaDB's MASTER_GTID_WAIT): answers true once the node has
   * applied `position`, false when `timeoutMs` passed first, in one statement. Without it, the load balancer asks
   * positionAfter() until the wait's budget is spent.
   */
  waitForPosition?(position: Lsn, timeoutMs: number): Promise<boolean>;
  /**
   * The position read behind a read may count a transaction whose commit is not visible yet (MariaDB writes its
   * binary log before the commit): an upper bound of what the read saw, right for a client's token, but not a
   * replay position to route other reads by.
   */
  readonly readPositionsMayRunAhead?: boolean;
  /**
   * A read's position costs a round trip of its own as its lease ends (MariaDB's protocol has no pipeline for it to
   * ride in): reads on the primary then leave it to one question after the request's reads, shared with others.
   */
  readonly readPositionsCostATrip?: boolean;
  close(): Promise<void>;
}
