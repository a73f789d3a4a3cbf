import { RedisCache } from '../cache/redis-cache';
import { AppConfig } from '../config/app-config';
import { TopologyMonitor } from '../database/topology-monitor';
import { admittedReplica, excludedReplica, fakeNode, topologyLedBy } from '../database/testing/fakes';
import { RecentReads } from './recent-reads';
import { TopologyView } from './topology-view';

describe('TopologyView', () => {
  it('should give this instance’s view: thresholds, the primary, each replica with lag and reason, cache, reads', () => {
    const config = AppConfig.fromEnv({ APP_INSTANCE: 'app-2', REPLICA_MAX_LAG_BYTES: '1000' });
    const topology = topologyLedBy(fakeNode('db-primary'));
    topology.hosts.add(admittedReplica('db-replica-1', { lagBytes: 10, lagSeconds: 0.1 }));
    topology.hosts.add(excludedReplica('db-replica-2', 5000));
    const primaryState = { name: 'db-primary', reachable: true, currentLsn: '0/3000000', timeline: 1, systemIdentifier: '7', lastCheckedAt: null };
    const monitor = { primaryState } as TopologyMonitor;
    const cache = { status: 'ready', stats: { hits: 1, misses: 2, errors: 0, skippedFills: 0, bypassed: 0 } } as RedisCache;
    const reads = new RecentReads();
    const view = new TopologyView(config, topology, monitor, cache, reads);

    const snapshot = view.snapshot(new Date('2026-01-01T00:00:00Z'));

    expect(snapshot).toMatchObject({
      instance: 'app-2',
      at: '2026-01-01T00:00:00.000Z',
      thresholds: { maxLagBytes: 1000, maxLagSeconds: 30 },
      primary: primaryState,
      replicas: [
        { name: 'db-replica-1', eligible: true, lagBytes: 10, lagSeconds: 0.1, reason: null },
        { name: 'db-replica-2', eligible: false, lagBytes: 5000, reason: 'lag 5000 bytes' },
      ],
      cache: { connection: 'ready', hits: 1, misses: 2 },
      reads: { last: [], byNode: {} },
    });
  });
});
