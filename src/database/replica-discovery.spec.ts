import type { Resolver } from 'node:dns/promises';
import { DatabaseTopology } from './database-topology';
import { Host } from './host';
import { ReplicaDiscovery } from './replica-discovery';
import { fakeNode, hysteresis } from './testing/fakes';

/** A topology that makes a fake node for each address discovery finds. */
function discoveredTopology() {
  const topology = new DatabaseTopology((address) => new Host(Object.assign(fakeNode(address), { endpoint: { host: address, port: 5432 }, close: async () => undefined }), hysteresis));
  return topology;
}

const resolving = (answer: { addresses: string[] }) => ({ resolve4: async () => answer.addresses }) as unknown as Resolver;

describe('ReplicaDiscovery', () => {
  it('should never add an analytics replica found under the replicas\' name as one of them', async () => {
    const topology = discoveredTopology();
    topology.hosts.add(new Host(Object.assign(fakeNode('db-analytics'), { endpoint: { host: '10.0.0.9', port: 5432 } }), hysteresis, 'analytics'));
    const discovery = new ReplicaDiscovery('db-replicas', resolving({ addresses: ['10.0.0.1', '10.0.0.9'] }), topology, 1000);

    await discovery.refresh();

    expect(topology.hosts.all().map((h) => [h.node.endpoint.host, h.purpose])).toEqual([
      ['10.0.0.9', 'analytics'],
      ['10.0.0.1', 'oltp'],
    ]);
  });

  // Issue 14, item 11: after a failover the primary may be a node found through db-replicas; DNS dropping it
  // (a record's TTL, an operator's edit) must not clear the primary and answer every write with 503.
  it('should not drain the current primary when it leaves DNS', async () => {
    jest.useFakeTimers();
    try {
      const answer = { addresses: ['10.0.0.1', '10.0.0.2'] };
      const topology = discoveredTopology();
      const discovery = new ReplicaDiscovery('db-replicas', resolving(answer), topology, 1000);
      await discovery.refresh();
      const promoted = topology.hosts.all()[0];
      topology.setPrimary(promoted.node);

      answer.addresses = ['10.0.0.2'];
      await discovery.refresh();
      await jest.advanceTimersByTimeAsync(10_000);

      expect(topology.primary).toBe(promoted.node);
      expect(promoted.draining).toBe(false);
      expect(topology.hosts.all()).toContain(promoted);
      discovery.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('should still drain a replica that leaves DNS', async () => {
    jest.useFakeTimers();
    try {
      const answer = { addresses: ['10.0.0.1', '10.0.0.2'] };
      const topology = discoveredTopology();
      const discovery = new ReplicaDiscovery('db-replicas', resolving(answer), topology, 1000);
      await discovery.refresh();

      answer.addresses = ['10.0.0.2'];
      await discovery.refresh();
      await jest.advanceTimersByTimeAsync(10_000);

      expect(topology.hosts.all().map((host) => host.node.endpoint.host)).toEqual(['10.0.0.2']);
      discovery.stop();
    } finally {
      jest.useRealTimers();
    }
  });
});
