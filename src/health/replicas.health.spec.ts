import { HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseTopology } from '../database/database-topology';
import { admittedReplica, analyticsReplica, fakeNode, topologyLedBy } from '../database/testing/fakes';
import { ReplicasHealthIndicator } from './replicas.health';

describe('ReplicasHealthIndicator', () => {
  it('should judge the replicas only, not the primary that the topology also holds as a host', () => {
    const topology = new DatabaseTopology(() => {
      throw new Error('no discovery in unit tests');
    });
    const primaryHost = admittedReplica('db-primary');
    primaryHost.recordProbe({ problem: 'not in recovery: this node takes writes', immediate: true, observed: { reachable: true, role: 'primary' } });
    [primaryHost, admittedReplica('db-replica-1'), admittedReplica('db-replica-2')].forEach((host) => topology.hosts.add(host));
    topology.setPrimary(primaryHost.node);

    const result = new ReplicasHealthIndicator(new HealthIndicatorService(), topology).isHealthy('replicas');

    expect(result).toEqual({ replicas: { status: 'up', eligible: ['db-replica-1', 'db-replica-2'] } });
  });

  it('should be degraded, naming why, when a replica is excluded', () => {
    const topology = topologyLedBy(fakeNode('db-primary'));
    const lagging = admittedReplica('db-replica-2');
    [admittedReplica('db-replica-1'), lagging].forEach((host) => topology.hosts.add(host));
    lagging.markDown('query failed: ECONNREFUSED');

    const result = new ReplicasHealthIndicator(new HealthIndicatorService(), topology).isHealthy('replicas');

    expect(result).toMatchObject({ replicas: { eligible: ['db-replica-1'], excluded: [{ name: 'db-replica-2', reason: 'query failed: ECONNREFUSED' }] } });
  });

  it('should leave the analytics replica out: reports are not what readiness answers for', () => {
    const topology = topologyLedBy(fakeNode('db-primary'));
    const analytics = analyticsReplica('db-analytics');
    [admittedReplica('db-replica-1'), analytics].forEach((host) => topology.hosts.add(host));
    analytics.markDown('query failed: ECONNREFUSED');

    const result = new ReplicasHealthIndicator(new HealthIndicatorService(), topology).isHealthy('replicas');

    expect(result).toEqual({ replicas: { status: 'up', eligible: ['db-replica-1'] } });
  });
});
