import { DynamicModule, Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AppConfig } from '../config/app-config';
import { ConsistencyInterceptor } from './consistency';
import { ConsistencyTokens } from './consistency-tokens';
import { DatabaseTopology } from './database-topology';
import { LoadBalancer } from './load-balancer';
import { ReplicaLagMonitor } from './replica-lag-monitor';
import { ReplicatedDatabase } from './replicated-database';
import { ReplicaDiscovery } from './service-discovery';

/** Entity classes registered by feature modules through DatabaseModule.forFeature(). */
const registeredEntities = new Set<Function>();

/**
 * Owns every connection to PostgreSQL: one pool per node, the lag monitor, and the routing. The rest of the
 * app sees only ReplicatedDatabase (and, for health, the topology and monitor).
 */
@Global()
@Module({})
export class DatabaseModule implements OnModuleInit, OnApplicationShutdown {
  private discovery?: ReplicaDiscovery;

  constructor(
    @Inject(DatabaseTopology) private readonly topology: DatabaseTopology,
    @Inject(ReplicaLagMonitor) private readonly monitor: ReplicaLagMonitor,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  static forRoot(): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: DatabaseTopology,
          inject: [AppConfig],
          useFactory: (config: AppConfig) => DatabaseTopology.fromConfig(config, [...registeredEntities]),
        },
        {
          provide: ReplicaLagMonitor,
          inject: [DatabaseTopology, AppConfig],
          useFactory: (topology: DatabaseTopology, config: AppConfig) =>
            new ReplicaLagMonitor(
              topology,
              { maxLagBytes: config.REPLICA_MAX_LAG_BYTES, maxLagSeconds: config.REPLICA_MAX_LAG_SECONDS },
              config.REPLICA_PROBE_INTERVAL_MS,
            ),
        },
        {
          provide: LoadBalancer,
          inject: [DatabaseTopology, AppConfig, ReplicaLagMonitor],
          useFactory: (topology: DatabaseTopology, config: AppConfig, monitor: ReplicaLagMonitor) =>
            new LoadBalancer(
              topology,
              {
                fallback: config.REPLICA_FALLBACK,
                fallbackMaxLagBytes: config.REPLICA_FALLBACK_MAX_LAG_BYTES,
                tokenWaitMs: config.CONSISTENCY_WAIT_MS,
                trackPositions: config.REPLICA_ROUTING === 'aware',
              },
              monitor,
            ),
        },
        ReplicatedDatabase,
        ConsistencyTokens,
        { provide: APP_INTERCEPTOR, useClass: ConsistencyInterceptor },
      ],
      exports: [ReplicatedDatabase, DatabaseTopology, ReplicaLagMonitor, ConsistencyTokens],
    };
  }

  /** Registers a feature module's entities (as @nestjs/typeorm's forFeature does); import it in that module. */
  static forFeature(entities: Function[]): DynamicModule {
    entities.forEach((entity) => registeredEntities.add(entity));
    return { module: DatabaseFeatureModule };
  }

  async onModuleInit(): Promise<void> {
    const { DB_REPLICAS_FROM_DNS: name, DB_DNS_SERVERS: servers, DB_REPLICA_DISCOVERY_INTERVAL_MS: interval } = this.config;
    const discovery = name
      ? new ReplicaDiscovery(name, ReplicaDiscovery.resolverFor(servers), this.topology, interval, (replica) => this.monitor.probeNow(replica))
      : undefined;
    if (this.config.REPLICA_ROUTING === 'fixed') {
      // Find the replicas and their names once, then nothing runs in the background.
      await discovery?.refresh();
      await this.monitor.probeAll();
      const [first, ...others] = this.topology.replicas.all().filter((r) => r.health.role === 'replica');
      first?.admitWithoutProbes();
      others.forEach((replica) => replica.markDown('REPLICA_ROUTING=fixed: reads go to the first replica only'));
      return;
    }
    this.discovery = discovery;
    await discovery?.start();
    await this.monitor.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.discovery?.stop();
    await this.monitor.stop();
    await this.topology.close();
  }
}

@Module({})
class DatabaseFeatureModule {}
