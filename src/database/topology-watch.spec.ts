import { AppConfig } from '../config/app-config';
import { DatabaseTopology } from './database-topology';
import { Host } from './host';
import { fakeNode, hysteresis } from './testing/fakes';
import { TopologyMonitor } from './topology-monitor';
import { TopologyWatch } from './topology-watch';

describe('TopologyWatch with REPLICA_ROUTING=fixed', () => {
  it('should send every read to the first replica of the rotation, never to an analytics replica listed before it', async () => {
    const topology = new DatabaseTopology(() => {
      throw new Error('no discovery in unit tests');
    });
    const asReplica = (host: Host) => {
      host.recordProbe({ problem: 'not admitted by probes in fixed mode', observed: { reachable: true, role: 'replica', inRecovery: true } });
      return host;
    };
    const analytics = asReplica(new Host(fakeNode('db-analytics'), hysteresis, 'analytics'));
    const replica = asReplica(new Host(fakeNode('db-replica-1'), hysteresis));
    [analytics, replica].forEach((host) => topology.hosts.add(host));
    const monitor = { probeAll: async () => undefined } as unknown as TopologyMonitor;
    const config = AppConfig.fromEnv({ REPLICA_ROUTING: 'fixed', DB_REPLICA_HOSTS: '' });

    await new TopologyWatch(topology, monitor, config).start();

    expect(topology.hosts.next()?.name).toBe('db-replica-1');
  });
});
