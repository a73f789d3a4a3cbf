import { HealthIndicatorService } from '@nestjs/terminus';
import { probedNode, probeRow, topologyOf } from '../database/testing/fakes';
import { TopologyMonitor } from '../database/topology-monitor';
import { PrimaryHealthIndicator } from './primary.health';

// Issue 14, item 7: readiness shared the primary's one-connection probe pool with the election. A burst of
// readiness calls on a slow primary queued the election probe past its timeout, and writes answered 503.
describe('PrimaryHealthIndicator', () => {
  it('should not hold up the election probe, however many readiness checks run at once', async () => {
    const primary = probedNode('db-primary', () => probeRow('db-primary', 'primary'), { readinessMs: 100 });
    const replica = probedNode('db-replica-1', () => probeRow('db-replica-1', 'replica'));
    const topology = topologyOf(primary, replica);
    const monitor = new TopologyMonitor(topology, { maxLagBytes: 1000, maxLagSeconds: 5 }, 1000);
    await monitor.probeAll();
    const indicator = new PrimaryHealthIndicator(new HealthIndicatorService(), topology);

    const burst = Array.from({ length: 8 }, async () => indicator.isHealthy('primary'));
    await new Promise((resolve) => setImmediate(resolve)); // the burst's queries are queued first
    await monitor.probeAll();
    await Promise.allSettled(burst);

    expect(topology.hosts.byName('db-primary')!.health).toMatchObject({ reachable: true, role: 'primary' });
    expect(topology.primary?.name).toBe('db-primary');
  });

  it('should answer concurrent readiness checks with one query', async () => {
    const primary = probedNode('db-primary', () => probeRow('db-primary', 'primary'), { readinessMs: 20 });
    const topology = topologyOf(primary);
    topology.setPrimary(primary);
    const indicator = new PrimaryHealthIndicator(new HealthIndicatorService(), topology);
    const queries = jest.spyOn(primary, 'checkWritable');

    const results = await Promise.all(Array.from({ length: 8 }, () => indicator.isHealthy('primary')));

    expect(results.map((result) => result.primary)).toEqual(Array.from({ length: 8 }, () => expect.objectContaining({ status: 'up', name: 'db-primary' })));
    expect(queries).toHaveBeenCalledTimes(1);
  });
});
