import { DataSource } from 'typeorm';
import { RequestContext } from '../request-context/request-context';
import { Lease, LoadBalancer } from './load-balancer';
import type { MariaDbConnection } from './mariadb-node';
import { ConnectionRole, RoutedConnectionCore } from './routed-connection';
import { RoutingNotInstalledError } from './routing-driver';

type Values = unknown[] | Record<string, unknown> | undefined;
type GetConnectionCallback = (error: Error | null, connection?: RoutedMariaDbConnection) => void;

const textOf = (sql: string | { sql: string }) => (typeof sql === 'string' ? sql : sql.sql);

/**
 * The connection TypeORM's MySQL/MariaDB driver holds for one query runner, in place of a mysql2 pool
 * connection: its statements go through `promise().query()`, as MysqlQueryRunner sends them. On the primary,
 * each commit's position comes back with its answer (MariaDbConnection).
 */
export class RoutedMariaDbConnection extends RoutedConnectionCore {
  promise(): { query(sql: string | { sql: string }, values?: Values): Promise<unknown> } {
    return {
      query: (sql, values) => this.run(textOf(sql), (lease: Lease) => (lease.connection as MariaDbConnection).query(sql, values)),
    };
  }

  /** mysql2's callback form: TypeORM uses it for stream() only, which the MariaDB routing does not offer yet. */
  query(): never {
    throw new Error('stream() is not supported on MariaDB yet: read with getMany()/getRawMany()');
  }
}

/**
 * A pool cluster as TypeORM's MySQL driver sees one (it asks `MASTER` and `SLAVE*`). It owns no connections:
 * each `getConnection()` hands out a RoutedMariaDbConnection that the load balancer places on a node when its
 * first statement runs. The nodes' own pools live in MariaDbNode and close with the topology.
 */
export class RoutingPoolCluster {
  /** Until the data source has initialized, TypeORM's own start-up queries (any node). */
  started = false;

  constructor(private readonly balancer: LoadBalancer) {}

  /** TypeORM adds the nodes of its `replication` option: the topology already has them. */
  add(): void {}

  getConnection(pattern: string, callback: GetConnectionCallback): void {
    const role: ConnectionRole = !this.started ? 'startup' : pattern === 'MASTER' ? 'primary' : 'replica';
    // Taken now, in the caller's async context: the request whose query runner this is.
    const connection = new RoutedMariaDbConnection(this.balancer, role, RequestContext.current()?.session);
    process.nextTick(() => callback(null, connection));
  }

  end(callback?: (error?: Error) => void): void {
    callback?.();
  }
}

/**
 * The module given to TypeORM's MariaDB driver as its `driver` option in place of `mysql2`: TypeORM's own
 * `replication` option decides which of its operations read (`SLAVE*`) and which write (`MASTER`), and the load
 * balancer decides, per request, which node serves each (RoutingDriver is PostgreSQL's).
 */
export class MariaDbRoutingDriver {
  private readonly cluster: RoutingPoolCluster;

  constructor(balancer: LoadBalancer) {
    this.cluster = new RoutingPoolCluster(balancer);
  }

  createPoolCluster(): RoutingPoolCluster {
    return this.cluster;
  }

  /** Initializes a data source built with this driver; fails loudly when TypeORM did not use its pool cluster. */
  static async initialize(dataSource: DataSource): Promise<DataSource> {
    await dataSource.initialize();
    const { poolCluster } = dataSource.driver as unknown as { poolCluster?: unknown };
    if (!(poolCluster instanceof RoutingPoolCluster)) {
      await dataSource.destroy();
      throw new RoutingNotInstalledError();
    }
    poolCluster.started = true;
    return dataSource;
  }
}
