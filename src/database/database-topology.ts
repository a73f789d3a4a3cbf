import { MixedList } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { DatabaseNode, NodeEndpoint, NodeRole, NodeSettings } from './database-node';
import { Replica } from './replica';
import { ReplicaList } from './replica-list';

/** The primary and the replicas named by the configuration, each with its own pools. */
export class DatabaseTopology {
  constructor(
    readonly primary: DatabaseNode,
    readonly replicas: ReplicaList,
  ) {}

  static fromConfig(config: AppConfig, entities: MixedList<Function>): DatabaseTopology {
    const node = (endpoint: NodeEndpoint, role: NodeRole) => new DatabaseNode(endpoint, role, nodeSettings(config, role, entities));
    const hysteresis = { excludeAfter: config.REPLICA_EXCLUDE_AFTER_PROBES, readmitAfter: config.REPLICA_READMIT_AFTER_PROBES };
    return new DatabaseTopology(
      node({ host: config.DB_PRIMARY_HOST, port: config.DB_PORT }, 'primary'),
      new ReplicaList(config.DB_REPLICA_HOSTS.map((host) => new Replica(node(parseEndpoint(host, config.DB_PORT), 'replica'), hysteresis))),
    );
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
