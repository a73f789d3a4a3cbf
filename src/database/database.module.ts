import { DynamicModule, Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabaseTopology } from './database-topology';
import { LoadBalancer } from './load-balancer';
import { ReplicaLagMonitor } from './replica-lag-monitor';
import { ReplicatedDatabase } from './replicated-database';

/** Entity classes registered by feature modules through DatabaseModule.forFeature(). */
const registeredEntities = new Set<Function>();

/**
 * Owns every connection to PostgreSQL: one pool per node, the lag monitor, and the routing. The rest of the
 * app sees only ReplicatedDatabase (and, for health, the topology and monitor).
 */
@Global()
@Module({})
export class DatabaseModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DatabaseTopology) private readonly topology: DatabaseTopology,
    @Inject(ReplicaLagMonitor) private readonly monitor: ReplicaLagMonitor,
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
              topology.primary,
              topology.replicas,
              { maxLagBytes: config.REPLICA_MAX_LAG_BYTES, maxLagSeconds: config.REPLICA_MAX_LAG_SECONDS },
              config.REPLICA_PROBE_INTERVAL_MS,
            ),
        },
        {
          provide: LoadBalancer,
          inject: [DatabaseTopology],
          useFactory: (topology: DatabaseTopology) => new LoadBalancer(topology.primary, topology.replicas),
        },
        ReplicatedDatabase,
      ],
      exports: [ReplicatedDatabase, DatabaseTopology, ReplicaLagMonitor],
    };
  }

  /** Registers a feature module's entities (as @nestjs/typeorm's forFeature does); import it in that module. */
  static forFeature(entities: Function[]): DynamicModule {
    entities.forEach((entity) => registeredEntities.add(entity));
    return { module: DatabaseFeatureModule };
  }

  async onModuleInit(): Promise<void> {
    await this.monitor.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.monitor.stop();
    await this.topology.close();
  }
}

@Module({})
class DatabaseFeatureModule {}
