import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabaseTopology } from './database-topology';
import { ReplicaDiscovery } from './replica-discovery';
import { TopologyMonitor } from './topology-monitor';

/** Finds the nodes and their roles before the data source connects, and keeps watching them. */
export class TopologyWatch {
  private readonly logger = new Logger('DatabaseModule');
  private discovery?: ReplicaDiscovery;

  constructor(
    private readonly topology: DatabaseTopology,
    private readonly monitor: TopologyMonitor,
    private readonly config: AppConfig,
  ) {}

  async start(): Promise<void> {
    const { DB_REPLICAS_FROM_DNS: name, DB_DNS_SERVERS: servers, DB_REPLICA_DISCOVERY_INTERVAL_MS: interval } = this.config;
    const discovery = name
      ? new ReplicaDiscovery(name, ReplicaDiscovery.resolverFor(servers), this.topology, interval, (host) => this.monitor.probeNow(host))
      : undefined;
    if (this.config.REPLICA_ROUTING === 'fixed') {
      // Find the replicas and their names once, then nothing runs in the background.
      await discovery?.refresh();
      await this.monitor.probeAll();
      const [first, ...others] = this.topology.hosts.oltp().filter((h) => h.health.role === 'replica');
      first?.admitWithoutProbes();
      others.forEach((host) => host.markDown('REPLICA_ROUTING=fixed: reads go to the first replica only'));
      return;
    }
    this.discovery = discovery;
    await discovery?.start();
    await this.monitor.start();
    this.logger.log(`primary: ${this.topology.primary?.name ?? `none (${this.topology.primaryProblem})`}`);
  }

  async stop(): Promise<void> {
    this.discovery?.stop();
    await this.monitor.stop();
    await this.topology.close();
  }
}
