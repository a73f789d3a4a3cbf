import { Logger } from '@nestjs/common';
import { Resolver } from 'node:dns/promises';
import { DatabaseTopology } from './database-topology';
import { Host } from './host';

/** How long a replica that left DNS keeps serving the reads already sent to it before its pools close. */
const DRAIN_MS = 5000;

/**
 * The replica list from DNS: one name (e.g. `db-replicas`) that resolves to every replica, re-resolved
 * periodically through the configured DNS servers. A new address becomes a replica (eligible once probed);
 * an address that disappears is drained — no new reads — then closed. No restart either way.
 */
export class ReplicaDiscovery {
  private readonly logger = new Logger(ReplicaDiscovery.name);
  private readonly draining = new Map<Host, NodeJS.Timeout>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly name: string,
    private readonly resolver: Resolver,
    private readonly topology: DatabaseTopology,
    private readonly intervalMs: number,
    /** Called for each new replica: probe it now rather than at the next round, to use it sooner. */
    private readonly onFound: (replica: Host) => Promise<void> = async () => undefined,
  ) {}

  static resolverFor(servers: string[]): Resolver {
    const resolver = new Resolver({ timeout: 1000, tries: 2 });
    if (servers.length > 0) resolver.setServers(servers);
    return resolver;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.draining.forEach((timer) => clearTimeout(timer));
  }

  async refresh(): Promise<void> {
    let addresses: string[];
    try {
      addresses = await this.resolver.resolve4(this.name);
    } catch (error) {
      // NXDOMAIN or no answer: keep the replicas we have rather than drop them all on a DNS hiccup.
      this.logger.warn(`could not resolve ${this.name}: ${(error as Error).message}`);
      return;
    }
    const known = new Map(this.topology.hosts.all().filter((r) => !r.pinned).map((r) => [r.node.endpoint.host, r]));
    // An analytics replica's address in the name's answer: it serves reports only, never as one of these replicas.
    const analytics = new Set(this.topology.hosts.all().filter((h) => h.purpose === 'analytics').map((h) => h.node.endpoint.host));
    for (const address of addresses.filter((a) => !analytics.has(a))) {
      const replica = known.get(address);
      if (!replica) {
        this.logger.log(`${this.name}: found replica ${address}`);
        await this.onFound(this.topology.addHost(address));
      } else if (replica.draining) {
        clearTimeout(this.draining.get(replica));
        this.draining.delete(replica);
        replica.draining = false;
      }
    }
    for (const [address, replica] of known) {
      // Not the primary (a replica promoted since it was found): DNS is where replicas are listed, not who
      // leads; the election drops a primary that stops being one, and the next refresh drains it then.
      if (!addresses.includes(address) && !replica.draining && replica.node !== this.topology.primary) this.drain(replica, address);
    }
  }

  private drain(replica: Host, address: string): void {
    replica.draining = true;
    this.logger.log(`${this.name}: ${replica.name} (${address}) left; draining`);
    this.draining.set(
      replica,
      setTimeout(() => {
        this.draining.delete(replica);
        void this.topology.removeHost(replica);
      }, DRAIN_MS).unref(),
    );
  }
}
