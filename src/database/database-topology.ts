import { MixedList } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { DatabaseNode, NodeEndpoint, NodeRole, NodeSettings } from './database-node';
import { Replica } from './replica';
import { ReplicaList } from './replica-list';

/** The primary and the replicas named by the configuration, each with its own pools. */
export class DatabaseTopology {
  readonly replicas = new ReplicaList();

  constructor(
    readonly primary: DatabaseNode,
    private readonly newReplica: (hostAndPort: string) => Replica,
  ) {}

  /** The primary, and the replicas of DB_REPLICA_HOSTS (none yet when they come from DNS). */
  static fromConfig(config: AppConfig, entities: MixedList<Function>): DatabaseTopology {
    const node = (endpoint: NodeEndpoint, role: NodeRole) => new DatabaseNode(endpoint, role, nodeSettings(config, role, entities));
    const hysteresis = { excludeAfter: config.REPLICA_EXCLUDE_AFTER_PROBES, readmitAfter: config.REPLICA_READMIT_AFTER_PROBES };
    const topology = new DatabaseTopology(
      node({ host: config.DB_PRIMARY_HOST, port: config.DB_PORT }, 'primary'),
      (hostAndPort) => new Replica(node(parseEndpoint(hostAndPort, config.DB_PORT), 'replica'), hysteresis),
    );
    if (!config.DB_REPLICAS_FROM_DNS) config.DB_REPLICA_HOSTS.forEach((host) => topology.addReplica(host));
    return topology;
  }

  addReplica(hostAndPort: string): Replica {
    const replica = this.newReplica(hostAndPort);
    this.replicas.add(replica);
    return replica;
  }

  async removeReplica(replica: Replica): Promise<void> {
    this.replicas.remove(replica);
    await replica.node.close();
  }

  async close(): Promise<void> {
    await Promise.all([this.primary, ...this.replicas.all().map((r) => r.node)].map((n) => n.close()));
  }
}

export function parseEndpoint(hostAndPort: string, defaultPort: number): NodeEndpoint {
  const [host, port] = hostAndPort.split(':');
  return { host, port: port ? Number(port) : defaultPort };
}

function nodeSettings(config: AppConfig, role: NodeRole, entities: MixedList<Function>): NodeSettings {
  return {
    user: config.DB_USER,
    password: config.DB_PASSWORD,
    database: config.DB_NAME,
    poolMax: role === 'primary' ? config.DB_POOL_MAX_PRIMARY : config.DB_POOL_MAX_REPLICA,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    probeTimeoutMs: config.REPLICA_PROBE_TIMEOUT_MS,
    applicationName: config.APP_INSTANCE,
    entities,
  };
}
