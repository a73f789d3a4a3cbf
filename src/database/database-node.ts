import { DataSource, EntityManager, MixedList } from 'typeorm';
import { Pool } from 'pg';
import { performance } from 'node:perf_hooks';
import type { PositionSource } from '../request-context/request-context';
import { Lsn } from './lsn';
import { POSITION, positionIn, PositionTrackingClient } from './position-tracking-client';

export type Work<T> = (manager: EntityManager) => Promise<T>;

/** What a piece of work returned, and the node's position right after it (null when not asked or unreadable). */
export interface Positioned<T> {
  result: T;
  position: Lsn | null;
}

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
  /** Connections per node for reads (DB_POOL_MAX_REPLICA) and, on the primary, for writes (DB_POOL_MAX_PRIMARY). */
  readPoolMax: number;
  writePoolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  probeTimeoutMs: number;
  applicationName: string;
  entities: MixedList<Function>;
}

type PoolKind = 'reads' | 'writes';

/**
 * One PostgreSQL server, whatever its role today (a failover manager moves roles between nodes). It has its
 * own pools: reads (sessions with default_transaction_read_only, so a write sent there by mistake fails loudly
 * instead of landing on the wrong node), writes (created when the node first serves as primary), and a
 * one-connection pool with a short timeout for health probes, so a probe never waits behind app queries.
 * Connecting is lazy and retried on the next use after a failure: the app starts with any node down.
 */
export class DatabaseNode implements PositionSource {
  /** The server's own `cluster_name` once a probe has read it (`db-replica-1`), else the configured host. */
  name: string;
  private readonly dataSources: Partial<Record<PoolKind, Promise<DataSource>>> = {};
  private readonly pools: Partial<Record<PoolKind, Pool>> = {};
  readonly probes: Pool;
  private positionQuery?: { startedAt: number; result: Promise<Lsn | null> };
  /** Position queries sent: riding in a statement's round trip (PositionTrackingClient), or on their own. */
  readonly positionQueries = { pipelined: 0, ownRoundTrip: 0 };

  constructor(
    readonly endpoint: NodeEndpoint,
    private readonly settings: NodeSettings,
  ) {
    this.name = endpoint.host;
    const { user, password, database, applicationName, probeTimeoutMs } = settings;
    this.probes = new Pool({
      host: endpoint.host,
      port: endpoint.port,
      user,
      password,
      database,
      application_name: `${applicationName}-probe`,
      max: 1,
      connectionTimeoutMillis: probeTimeoutMs,
      statement_timeout: probeTimeoutMs,
      query_timeout: probeTimeoutMs + 200,
      idleTimeoutMillis: 0,
    });
    this.probes.on('error', () => undefined); // a dropped idle connection; the next probe reports it
  }

  get address(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  /** Connections of the node's query pools, reads and writes together (zero before the first); metrics read them. */
  get pool(): PoolCounts {
    const pools = Object.values(this.pools);
    const sum = (count: (pool: Pool) => number) => pools.reduce((total, pool) => total + count(pool), 0);
    return { total: sum((p) => p.totalCount), idle: sum((p) => p.idleCount), waiting: sum((p) => p.waitingCount) };
  }

  /**
   * Runs `work` in a read-only session. With `trackPosition`, every statement it sends is followed, in the
   * same round trip, by a position query: the last answer bounds from above what the work saw.
   */
  async read<T>(work: Work<T>, trackPosition: boolean): Promise<Positioned<T>> {
    const dataSource = await this.connect('reads');
    if (!trackPosition) return { result: await work(dataSource.manager), position: null };
    return this.tracked(dataSource, () => true, work);
  }

  /**
   * Runs `work` in one transaction: only ever asked of the node that is primary now. With `trackPosition`,
   * the position is read right behind the COMMIT, in its round trip: at or after the commit record.
   */
  async write<T>(work: Work<T>, trackPosition: boolean): Promise<Positioned<T>> {
    const dataSource = await this.connect('writes');
    return this.tracked(dataSource, trackPosition ? (text) => text === 'COMMIT' : () => false, (manager) => manager.transaction(work));
  }

  private async tracked<T>(dataSource: DataSource, after: (text: string) => boolean, work: Work<T>): Promise<Positioned<T>> {
    const runner = dataSource.createQueryRunner();
    let connectionError: unknown;
    const onError = (error: unknown) => (connectionError ??= error);
    try {
      const client = (await runner.connect()) as PositionTrackingClient;
      client.trackPositions(after);
      client.on('error', onError);
      let result: T;
      try {
        result = await work(runner.manager);
      } catch (error) {
        await client.stopTracking(); // the client goes back to the pool only once its position query answered
        // A connection that fails between two statements (the server shutting down) makes TypeORM release
        // the runner, and the next statement reports only "already released": report why.
        throw connectionError ?? error;
      } finally {
        client.off('error', onError);
      }
      return { result, position: await client.stopTracking() };
    } finally {
      await runner.release();
    }
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
    const result = this.connect('reads')
      .then((dataSource) => dataSource.query(POSITION))
      .then(positionIn)
      .catch(() => null);
    this.positionQuery = { startedAt, result };
    return result;
  }

  private connect(kind: PoolKind): Promise<DataSource> {
    this.dataSources[kind] ??= this.createDataSource(kind)
      .initialize()
      .then((dataSource) => {
        // TypeORM's postgres driver keeps its pg Pool in `master` (untyped).
        this.pools[kind] = (dataSource.driver as unknown as { master: Pool }).master;
        return dataSource;
      })
      .catch((error: unknown) => {
        this.dataSources[kind] = undefined; // retry on the next use
        throw error;
      });
    return this.dataSources[kind];
  }

  private createDataSource(kind: PoolKind): DataSource {
    const { statementTimeoutMs, readPoolMax, writePoolMax, connectTimeoutMs, applicationName } = this.settings;
    return new DataSource({
      type: 'postgres',
      host: this.endpoint.host,
      port: this.endpoint.port,
      username: this.settings.user,
      password: this.settings.password,
      database: this.settings.database,
      applicationName,
      entities: this.settings.entities,
      poolSize: kind === 'reads' ? readPoolMax : writePoolMax,
      connectTimeoutMS: connectTimeoutMs,
      // Extensions are created by migrations on the primary; a replica would refuse CREATE EXTENSION anyway.
      installExtensions: false,
      extra: {
        Client: PositionTrackingClient,
        // Queries sent before the previous one answered go out at once: a position query rides along.
        pipeline: true,
        onPipelinedPosition: () => this.positionQueries.pipelined++,
        statement_timeout: statementTimeoutMs,
        // Client-side bound too: a frozen server never answers, so its own statement_timeout never fires.
        query_timeout: statementTimeoutMs + 1000,
        idle_in_transaction_session_timeout: statementTimeoutMs * 2,
        ...(kind === 'reads' ? { options: '-c default_transaction_read_only=on' } : {}),
      },
    });
  }

  async close(): Promise<void> {
    const pending = Object.values(this.dataSources);
    for (const kind of Object.keys(this.dataSources) as PoolKind[]) {
      this.dataSources[kind] = undefined;
      this.pools[kind] = undefined;
    }
    const dataSources = await Promise.all(pending.map((p) => p?.catch(() => undefined)));
    await Promise.allSettled([...dataSources.map((ds) => (ds?.isInitialized ? ds.destroy() : undefined)), this.probes.end()]);
  }
}
