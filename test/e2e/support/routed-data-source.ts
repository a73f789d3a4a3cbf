import { DataSource, DataSourceOptions } from 'typeorm';
import { ConduitArticle } from '../../../src/conduit/articles/conduit-article.entity';
import { Tag } from '../../../src/conduit/tags/tag.entity';
import { User } from '../../../src/conduit/users/user.entity';
import { AppConfig } from '../../../src/config/app-config';
import { DatabaseTopology } from '../../../src/database/database-topology';
import { typeOrmOptions } from '../../../src/database/database.module';
import { TopologyWatch } from '../../../src/database/topology-watch';
import { LoadBalancer } from '../../../src/database/load-balancer';
import { RoutingDriver } from '../../../src/database/routing-driver';
import { TopologyMonitor } from '../../../src/database/topology-monitor';
import { RequestContext } from '../../../src/request-context/request-context';
import { appEnv } from '../../../stack/native/services';
import { service } from '../../../stack/topology';

/** What one request did: where each of its connections ran, and why. */
export interface RequestRecord<T> {
  result: T;
  nodes: string[];
  routes: string[];
  context: RequestContext;
}

/**
 * The app's data source as DatabaseModule builds it (TypeORM through RoutingDriver, the topology monitor,
 * the load balancer), in the test's process, on the stack's nodes by IP literal. Entities are the example
 * domain's (a Conduit article, with its author and tags); the code under test uses them the way a feature module does.
 */
export class RoutedDataSource {
  private constructor(
    readonly dataSource: DataSource,
    readonly topology: DatabaseTopology,
    private readonly watch: TopologyWatch,
  ) {}

  static async start(overrides: NodeJS.ProcessEnv = {}): Promise<RoutedDataSource> {
    const config = AppConfig.fromEnv({
      ...appEnv('routing-e2e'),
      DB_PRIMARY_HOST: service('db-primary').address,
      DB_REPLICA_HOSTS: [service('db-replica-1').address, service('db-replica-2').address].join(','),
      DB_REPLICAS_FROM_DNS: '',
      DB_ANALYTICS_HOSTS: service('db-analytics').address,
      LOG_LEVEL: 'warn',
      ...overrides,
    });
    const topology = DatabaseTopology.fromConfig(config);
    const monitor = TopologyMonitor.fromConfig(topology, config);
    const watch = new TopologyWatch(topology, monitor, config);
    await watch.start();
    const driver = new RoutingDriver(LoadBalancer.fromConfig(topology, config, monitor));
    const dataSource = await RoutingDriver.initialize(new DataSource({ ...typeOrmOptions(config, driver), entities: [ConduitArticle, User, Tag] } as DataSourceOptions));
    return new RoutedDataSource(dataSource, topology, watch);
  }

  /** The node that is primary now, by name (`db-primary` until a failover). */
  get primaryName(): string {
    const primary = this.topology.primary;
    if (!primary) throw new Error('no primary');
    return primary.name;
  }

  /** Runs `fn` as one request does; `prepare` sets up its session first (a token, a route's consistency). */
  async request<T>(fn: (context: RequestContext) => Promise<T>, prepare: (context: RequestContext) => void = () => undefined): Promise<RequestRecord<T>> {
    const context = new RequestContext(`routing-e2e-${Math.random()}`);
    prepare(context);
    const result = await RequestContext.run(context, () => fn(context));
    await context.session.settled();
    return { result, nodes: context.dbOperations.map((o) => o.node), routes: context.dbOperations.map((o) => o.route), context };
  }

  async close(): Promise<void> {
    await this.dataSource.destroy();
    await this.watch.stop();
  }
}
