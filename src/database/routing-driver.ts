import { EventEmitter } from 'node:events';
import * as pg from 'pg';
import { DataSource } from 'typeorm';
import { RequestContext } from '../request-context/request-context';
import { LoadBalancer } from './load-balancer';
import { ConnectionRole, RoutedConnection } from './routed-connection';

type ConnectCallback = (error: Error | undefined, connection: RoutedConnection, release: (error?: Error) => void) => void;

/**
 * A pool as TypeORM's PostgreSQL driver sees one. It owns no connections: each `connect()` hands out a
 * RoutedConnection that the load balancer places on a node when its first statement runs. The nodes' own pg
 * pools live in PostgresNode and close with the topology.
 */
export class RoutingPool extends EventEmitter {
  /** `startup` until the data source has initialized; then TypeORM's master pool writes, its slave pools read. */
  role: ConnectionRole = 'startup';

  constructor(private readonly balancer: LoadBalancer) {
    super();
  }

  connect(): Promise<RoutedConnection>;
  connect(callback: ConnectCallback): void;
  connect(callback?: ConnectCallback): Promise<RoutedConnection> | void {
    // Taken now, in the caller's async context: the request whose query runner this is.
    const connection = new RoutedConnection(this.balancer, this.role, RequestContext.current()?.session);
    if (!callback) return Promise.resolve(connection);
    process.nextTick(() => callback(undefined, connection, (error) => connection.release(error)));
  }

  end(callback?: (error?: Error) => void): Promise<void> {
    callback?.();
    return Promise.resolve();
  }
}

/** TypeORM did not build its pools through RoutingDriver: its queries would bypass the routing. Never retried. */
export class RoutingNotInstalledError extends Error {
  constructor() {
    super('TypeORM did not build its master and slave pools through RoutingDriver: the routing cannot see its queries (check the TypeORM version)');
  }
}

/**
 * The module given to TypeORM as its `driver` option in place of `pg`: the same module, with a Pool that
 * routes. TypeORM's own `replication` option decides which of its operations are reads (its "slave" query
 * runners: find*, count*, query-builder reads outside a transaction) and which write ("master": save, insert,
 * update, delete, transactions, locked reads, raw query()); the load balancer then decides, per request,
 * which node serves each. Nothing of TypeORM is patched.
 */
export class RoutingDriver {
  readonly defaults = pg.defaults;
  readonly types = pg.types;
  readonly Client = pg.Client;
  readonly Pool: new () => RoutingPool;

  constructor(balancer: LoadBalancer) {
    this.Pool = class extends RoutingPool {
      constructor() {
        super(balancer);
      }
    };
  }

  /**
   * Initializes a data source built with this driver, then gives its pools their roles. Fails loudly when
   * TypeORM did not build its pools through this driver or has no slave pool (then it would send every read
   * to the master, or around the routing altogether). Until then its pools serve TypeORM's own start-up
   * queries only, on read-only sessions.
   */
  static async initialize(dataSource: DataSource): Promise<DataSource> {
    await dataSource.initialize();
    const { master, slaves } = dataSource.driver as unknown as { master: unknown; slaves: unknown[] };
    if (!(master instanceof RoutingPool) || slaves.length === 0 || !slaves.every((pool) => pool instanceof RoutingPool)) {
      await dataSource.destroy();
      throw new RoutingNotInstalledError();
    }
    master.role = 'primary';
    slaves.forEach((pool) => ((pool as RoutingPool).role = 'replica'));
    return dataSource;
  }
}
