import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConflictRetryInterceptor } from './conflict-retry.interceptor';
import { CertificationRetryCounters } from './galera/certification-retry';
import { TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { ConsistencyTokens } from './consistency-tokens';
import { DatabaseConnection } from './database-connection';
import { DatabaseTopology, parseEndpoint } from './database-topology';
import { LoadBalancer } from './load-balancer';
import { MariaDbRoutingDriver } from './mariadb-routing-driver';
import { RoutingDriver } from './routing-driver';
import { Sticking } from './sticking';
import { TopologyMonitor } from './topology-monitor';
import { TopologyWatch } from './topology-watch';
import { WriteRouteRetries } from './write-route-retries';

/** The module TypeORM is given as its `driver`: the dialect's client library, with pools that route. */
export type DialectDriver = RoutingDriver | MariaDbRoutingDriver;

/** The DI token of the DialectDriver. */
export const DIALECT_DRIVER = Symbol('DIALECT_DRIVER');

/**
 * TypeORM's options for the app's one data source. `replication` lists where the nodes may be, as a user of
 * TypeORM's own replication writes it; RoutingDriver makes every node the load balancer's choice per request
 * (unless REPLICA_ROUTING=typeorm, where TypeORM routes on its own: the comparison's peer).
 */
export function typeOrmOptions(config: AppConfig, driver: DialectDriver): TypeOrmModuleOptions {
  const credentials = (host: string) => ({ ...parseEndpoint(host, config.DB_PORT), username: config.DB_USER, password: config.DB_PASSWORD, database: config.DB_NAME });
  const dialect =
    config.DB_DIALECT === 'mariadb'
      ? // DATETIME columns hold UTC, whatever this process's time zone.
        { type: 'mariadb' as const, timezone: 'Z', extra: { idleTimeout: config.DB_POOL_IDLE_TIMEOUT_MS } }
      : {
          type: 'postgres' as const,
          applicationName: config.APP_INSTANCE,
          // Extensions are created by migrations on the primary; a replica would refuse CREATE EXTENSION anyway.
          installExtensions: false,
          extra: { idleTimeoutMillis: config.DB_POOL_IDLE_TIMEOUT_MS },
        };
  const common = {
    ...dialect,
    autoLoadEntities: true,
    synchronize: false,
    migrationsRun: false,
    // DatabaseConnection connects it, and keeps trying in the background while no node answers: the app starts
    // (health, metrics) with every node down, and its queries answer 503 until then.
    manualInitialization: true,
  };
  if (config.REPLICA_ROUTING === 'typeorm') {
    // The peer the benchmark and docs/coming-from-typeorm.md compare with: TypeORM's own replication, as a user would set it up.
    return { ...common, replication: { master: credentials(config.DB_PRIMARY_HOST), slaves: config.DB_REPLICA_HOSTS.map(credentials) } };
  }
  const replicas = config.DB_REPLICAS_FROM_DNS ? [config.DB_REPLICAS_FROM_DNS] : config.DB_REPLICA_HOSTS;
  return {
    ...common,
    driver,
    // With no replica configured, TypeORM would send reads to its master pool: keep a slave pool, so that
    // reads still take the read path (the primary's read-only sessions, and replicas found later).
    replication: { master: credentials(config.DB_PRIMARY_HOST), slaves: (replicas.length ? replicas : [config.DB_PRIMARY_HOST]).map(credentials) },
  };
}

/**
 * Owns every connection to PostgreSQL: the app's TypeORM data source (through @nestjs/typeorm), one set of
 * pools per node, the topology monitor, and the routing. Feature modules use TypeOrmModule.forFeature and
 * @InjectRepository as the NestJS docs show; their queries are routed underneath.
 */
@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(TopologyWatch) private readonly watch: TopologyWatch) {}

  static forRoot(): DynamicModule {
    const routing = {
      module: DatabaseRoutingModule,
      providers: [
        { provide: DatabaseTopology, inject: [AppConfig], useFactory: (config: AppConfig) => DatabaseTopology.fromConfig(config) },
        {
          provide: TopologyMonitor,
          inject: [DatabaseTopology, AppConfig],
          useFactory: (topology: DatabaseTopology, config: AppConfig) => TopologyMonitor.fromConfig(topology, config),
        },
        {
          provide: LoadBalancer,
          inject: [DatabaseTopology, AppConfig, TopologyMonitor],
          useFactory: (topology: DatabaseTopology, config: AppConfig, monitor: TopologyMonitor) => LoadBalancer.fromConfig(topology, config, monitor),
        },
        {
          provide: TopologyWatch,
          inject: [DatabaseTopology, TopologyMonitor, AppConfig],
          useFactory: (topology: DatabaseTopology, monitor: TopologyMonitor, config: AppConfig) => new TopologyWatch(topology, monitor, config),
        },
        {
          // Resolved before the data source: it connects through a topology whose roles are already known.
          provide: DIALECT_DRIVER,
          inject: [LoadBalancer, TopologyWatch, AppConfig],
          useFactory: async (balancer: LoadBalancer, watch: TopologyWatch, config: AppConfig): Promise<DialectDriver> => {
            await watch.start();
            return config.DB_DIALECT === 'mariadb' ? new MariaDbRoutingDriver(balancer) : new RoutingDriver(balancer);
          },
        },
      ],
      exports: [DatabaseTopology, TopologyMonitor, LoadBalancer, TopologyWatch, DIALECT_DRIVER],
    };
    return {
      module: DatabaseModule,
      imports: [
        DiscoveryModule,
        routing,
        TypeOrmModule.forRootAsync({
          imports: [routing],
          inject: [AppConfig, DIALECT_DRIVER],
          useFactory: typeOrmOptions,
        }),
      ],
      providers: [
        DatabaseConnection,
        ConsistencyTokens,
        Sticking,
        { provide: CertificationRetryCounters, useValue: new CertificationRetryCounters() },
        ConflictRetryInterceptor,
        WriteRouteRetries,
      ],
      exports: [routing, DatabaseConnection, ConsistencyTokens, Sticking, CertificationRetryCounters],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.watch.stop();
  }
}

@Module({})
class DatabaseRoutingModule {}
