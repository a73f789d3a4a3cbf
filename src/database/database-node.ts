import { DataSource, EntityManager, MixedList } from 'typeorm';
import { Pool } from 'pg';
import { performance } from 'node:perf_hooks';
import type { PositionSource } from '../request-context/request-context';
import { Lsn, parseLsn } from './lsn';

export type NodeRole = 'primary' | 'replica';

/**
 * On the primary, a position at or after every commit visible now. With synchronous_commit on, a commit
 * returns once its record is flushed, so the flush position covers it and is one replicas can reach at once.
 * With it off, a visible commit may not be flushed yet: only the insert position is sure to cover it.
 */
const PRIMARY_POSITION = `SELECT (CASE WHEN current_setting('synchronous_commit') = 'off'
  THEN pg_current_wal_insert_lsn() ELSE pg_current_wal_flush_lsn() END)::text AS lsn`;

export interface NodeEndpoint {
  host: string;
  port: number;
}

/** The query pool's connections, as pg counts them. */
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
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  probeTimeoutMs: number;
  applicationName: string;
  entities: MixedList<Function>;
}

/**
 * One PostgreSQL server with its own pools: a TypeORM DataSource for the app's queries and a one-connection
 * pool with a short timeout for health probes, so a probe never waits behind app queries.
 * Connecting is lazy and retried on the next use after a failure: the app starts with any node down.
 */
export class DatabaseNode implements PositionSource {
  /** The server's own `cluster_name` once a probe has read it (`db-replica-1`), else the configured host. */
  name: string;
  private dataSource?: Promise<DataSource>;
  private queryPool?: Pool;
  readonly probes: Pool;
  private positionQuery?: { startedAt: number; result: Promise<Lsn | null> };

  constructor(
    readonly endpoint: NodeEndpoint,
    readonly role: NodeRole,
    private readonly settings: NodeSettings,
  ) {
    this.name = endpoint.host;
    this.probes = new Pool({
      ...this.connectionSettings(),
      max: 1,
      connectionTimeoutMillis: settings.probeTimeoutMs,
      statement_timeout: settings.probeTimeoutMs,
      query_timeout: settings.probeTimeoutMs + 200,
      idleTimeoutMillis: 0,
    });
    this.probes.on('error', () => undefined); // a dropped idle connection; the next probe reports it
  }

  get address(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  /** The query pool's connections (all zero before the first connection); metrics read them. */
  get pool(): PoolCounts {
    const pool = this.queryPool;
    return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 };
  }

  /** An EntityManager on this node, connecting first when needed. */
  async manager(): Promise<EntityManager> {
    return (await this.connect()).manager;
  }

  /**
   * The node's WAL position (replica: replayed; primary: inserted), read by a query that started after
   * `moment` (a performance.now() value): an upper bound of what any query finished by then has seen.
   * Concurrent callers share one query, so under load this costs far less than a round trip per request.
   */
  positionAfter(moment: number): Promise<Lsn | null> {
    const current = this.positionQuery;
    if (current && current.startedAt >= moment) return current.result;
    const sql = this.role === 'primary' ? PRIMARY_POSITION : 'SELECT pg_last_wal_replay_lsn()::text AS lsn';
    const startedAt = performance.now();
    const result = this.connect()
      .then((dataSource) => dataSource.query(sql))
      .then((rows: { lsn: string | null }[]) => (rows[0]?.lsn ? parseLsn(rows[0].lsn) : null))
      .catch(() => null);
    this.positionQuery = { startedAt, result };
    return result;
  }

  private connect(): Promise<DataSource> {
    this.dataSource ??= this.createDataSource()
      .initialize()
      .then((dataSource) => {
        // TypeORM's postgres driver keeps its pg Pool in `master` (untyped).
        this.queryPool = (dataSource.driver as unknown as { master: Pool }).master;
        return dataSource;
      })
      .catch((error: unknown) => {
        this.dataSource = undefined; // retry on the next use
        throw error;
      });
    return this.dataSource;
  }

  private createDataSource(): DataSource {
    const { statementTimeoutMs, poolMax, connectTimeoutMs, applicationName } = this.settings;
    return new DataSource({
      type: 'postgres',
      host: this.endpoint.host,
      port: this.endpoint.port,
      username: this.settings.user,
      password: this.settings.password,
      database: this.settings.database,
      applicationName,
      entities: this.settings.entities,
      poolSize: poolMax,
      connectTimeoutMS: connectTimeoutMs,
      // Extensions are created by migrations on the primary; a replica would refuse CREATE EXTENSION anyway.
      installExtensions: false,
      extra: {
        statement_timeout: statementTimeoutMs,
        // Client-side bound too: a frozen server never answers, so its own statement_timeout never fires.
        query_timeout: statementTimeoutMs + 1000,
        idle_in_transaction_session_timeout: statementTimeoutMs * 2,
        // A write that reaches a replica fails loudly (25006) instead of being lost.
        ...(this.role === 'replica' ? { options: '-c default_transaction_read_only=on' } : {}),
      },
    });
  }

  private connectionSettings() {
    const { user, password, database, applicationName } = this.settings;
    return { host: this.endpoint.host, port: this.endpoint.port, user, password, database, application_name: applicationName };
  }

  async close(): Promise<void> {
    const dataSource = await this.dataSource?.catch(() => undefined);
    this.dataSource = undefined;
    this.queryPool = undefined;
    await Promise.allSettled([dataSource?.isInitialized ? dataSource.destroy() : undefined, this.probes.end()]);
  }
}
