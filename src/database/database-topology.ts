import { AppConfig } from '../config/app-config';
import { DatabaseNode, NodeEndpoint, NodeSettings } from './database-node';
import { MariaDbNode } from './mariadb-node';
import { PostgresNode } from './postgres-node';

import { Host, HostHealth, HostPurpose } from './host';
import { HostList } from './host-list';

export type { NodeEndpoint };

/**
 * Every database node the app knows, and which of them is primary now (on Galera, the member the app writes to). Roles are not configured but found:
 * DB_PRIMARY_HOST and the replicas are where nodes may be; the topology monitor probes them all and elects the
 * primary (see primary-election.ts), so that the app follows a failover without a restart.
 */
export class DatabaseTopology {
  /** Every node as a candidate for reads; one out of recovery (the primary) is never eligible. */
  readonly hosts = new HostList();
  private current?: DatabaseNode;
  /** Why there is no primary now (for health and errors). */
  primaryProblem = 'not probed yet';

  constructor(private readonly newNode: (hostAndPort: string, purpose: HostPurpose) => Host) {}

  static fromConfig(config: AppConfig): DatabaseTopology {
    const settings: Record<HostPurpose, NodeSettings> = { oltp: nodeSettings(config), analytics: analyticsNodeSettings(config) };
    const hysteresis = { excludeAfter: config.REPLICA_EXCLUDE_AFTER_PROBES, readmitAfter: config.REPLICA_READMIT_AFTER_PROBES };
    const nodeAt = (hostAndPort: string, purpose: HostPurpose): DatabaseNode => {
      const endpoint = parseEndpoint(hostAndPort, config.DB_PORT);
      if (config.DB_DIALECT === 'mariadb') return new MariaDbNode(endpoint, { ...settings[purpose], gtidDomainId: config.DB_GTID_DOMAIN_ID, galera: config.DB_TOPOLOGY === 'galera' });
      return new PostgresNode(endpoint, settings[purpose]);
    };
    const topology = new DatabaseTopology((hostAndPort, purpose) => new Host(nodeAt(hostAndPort, purpose), hysteresis, purpose));
    const candidates = [config.DB_PRIMARY_HOST, ...(config.DB_REPLICAS_FROM_DNS ? [] : config.DB_REPLICA_HOSTS)];
    [...new Set(candidates)].forEach((host) => (topology.addHost(host).pinned = true));
    config.DB_ANALYTICS_HOSTS.forEach((host) => (topology.addHost(host, 'analytics').pinned = true));
    return topology;
  }

  /** The node that takes writes now, or none (no primary, or two claimants). */
  get primary(): DatabaseNode | undefined {
    return this.current;
  }

  setPrimary(node: DatabaseNode | undefined, problem = ''): void {
    this.current = node;
    this.primaryProblem = node ? '' : problem;
  }

  /** The nodes other than the primary that serve `purpose`, as the last probes saw them (health, the status page). */
  othersServing(purpose: HostPurpose): HostHealth[] {
    return this.hosts
      .all()
      .filter((host) => host.purpose === purpose && host.node !== this.current)
      .map((host) => host.health);
  }

  addHost(hostAndPort: string, purpose: HostPurpose = 'oltp'): Host {
    const host = this.newNode(hostAndPort, purpose);
    this.hosts.add(host);
    return host;
  }

  async removeHost(host: Host): Promise<void> {
    this.hosts.remove(host);
    if (this.current === host.node) this.setPrimary(undefined, `${host.name} was removed`);
    await host.node.close();
  }

  async close(): Promise<void> {
    await Promise.all(this.hosts.all().map((r) => r.node.close()));
  }
}

export function parseEndpoint(hostAndPort: string, defaultPort: number): NodeEndpoint {
  const [host, port] = hostAndPort.split(':');
  return { host, port: port ? Number(port) : defaultPort };
}

function nodeSettings(config: AppConfig): NodeSettings {
  return {
    user: config.DB_USER,
    password: config.DB_PASSWORD,
    database: config.DB_NAME,
    readPoolMax: config.DB_POOL_MAX_REPLICA,
    writePoolMax: config.DB_POOL_MAX_PRIMARY,
    poolIdleTimeoutMs: config.DB_POOL_IDLE_TIMEOUT_MS,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    probeTimeoutMs: config.REPLICA_PROBE_TIMEOUT_MS,
    applicationName: config.APP_INSTANCE,
  };
}

/** An analytics replica's: few connections (each may hold a report for minutes), and a long statement timeout. */
function analyticsNodeSettings(config: AppConfig): NodeSettings {
  return { ...nodeSettings(config), readPoolMax: config.DB_POOL_MAX_ANALYTICS, statementTimeoutMs: config.DB_ANALYTICS_STATEMENT_TIMEOUT_MS };
}
