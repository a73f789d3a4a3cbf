import { CertificationRetryCounters } from '../database/galera/certification-retry';
import { Registry } from 'prom-client';
import { ConsistencyTokens } from '../database/consistency-tokens';
import { DatabaseTopology } from '../database/database-topology';
import { admittedReplica, excludedReplica, fakeNode, topologyLedBy } from '../database/testing/fakes';
import { ReplicationMetrics } from './replication-metrics';

const valuesOf = async (registry: Registry, name: string) =>
  (await registry.getSingleMetric(name)!.get()).values.map(({ labels, value }) => ({ ...labels, value }));

function topologyWith(...replicas: ReturnType<typeof admittedReplica>[]): DatabaseTopology {
  const primary = Object.assign(fakeNode('db-primary'), { pool: { total: 3, idle: 1, waiting: 0 } });
  const topology = topologyLedBy(primary);
  replicas.forEach((replica) => topology.hosts.add(replica));
  return topology;
}

const tokensWith = (stats: Partial<ConsistencyTokens['stats']> = {}) =>
  ({ stats: { accepted: 0, issued: 0, expired: 0, invalid: 0, foreign: 0, ...stats } }) as ConsistencyTokens;

describe('ReplicationMetrics', () => {
  it('should report each replica’s lag in bytes and seconds and whether it is eligible', async () => {
    const registry = new Registry();
    const lagging = excludedReplica('db-replica-1', 20_000_000);
    const healthy = admittedReplica('db-replica-2', { lagBytes: 120, lagSeconds: 0.25 });
    new ReplicationMetrics(registry, topologyWith(lagging, healthy), tokensWith(), new CertificationRetryCounters());

    expect(await valuesOf(registry, 'app_replica_lag_bytes')).toEqual([
      { replica: 'db-replica-1', value: 20_000_000 },
      { replica: 'db-replica-2', value: 120 },
    ]);
    expect(await valuesOf(registry, 'app_replica_lag_seconds')).toContainEqual({ replica: 'db-replica-2', value: 0.25 });
    expect(await valuesOf(registry, 'app_replica_eligible')).toEqual([
      { replica: 'db-replica-1', value: 0 },
      { replica: 'db-replica-2', value: 1 },
    ]);
  });

  it('should leave out lag that is unknown and replicas that have left', async () => {
    const registry = new Registry();
    const unprobed = admittedReplica('db-replica-1', { lagBytes: undefined });
    unprobed.recordProbe({ problem: 'unreachable', observed: { reachable: false, lagBytes: null } });
    const leaving = admittedReplica('db-replica-3');
    const topology = topologyWith(unprobed, leaving);
    new ReplicationMetrics(registry, topology, tokensWith(), new CertificationRetryCounters());
    await valuesOf(registry, 'app_replica_lag_bytes');

    topology.hosts.remove(leaving);

    expect(await valuesOf(registry, 'app_replica_lag_bytes')).toEqual([]);
    expect(await valuesOf(registry, 'app_replica_eligible')).toEqual([{ replica: 'db-replica-1', value: 1 }]);
  });

  it('should report each node’s query pool: open, idle, and waiting clients', async () => {
    const registry = new Registry();
    const replica = admittedReplica('db-replica-1');
    Object.assign(replica.node, { pool: { total: 10, idle: 0, waiting: 4 } });
    new ReplicationMetrics(registry, topologyWith(replica), tokensWith(), new CertificationRetryCounters());

    expect(await valuesOf(registry, 'app_db_pool_connections')).toEqual(
      expect.arrayContaining([
        { node: 'db-primary', value: 3 },
        { node: 'db-replica-1', value: 10 },
      ]),
    );
    expect(await valuesOf(registry, 'app_db_pool_idle_connections')).toContainEqual({ node: 'db-primary', value: 1 });
    expect(await valuesOf(registry, 'app_db_pool_waiting_clients')).toContainEqual({ node: 'db-replica-1', value: 4 });
  });

  it('should copy the consistency token counts into counters at every scrape', async () => {
    const registry = new Registry();
    const tokens = tokensWith({ accepted: 5, issued: 9, invalid: 1 });
    new ReplicationMetrics(registry, topologyWith(), tokens, new CertificationRetryCounters());
    await registry.metrics();

    tokens.stats.accepted = 7;

    expect(await valuesOf(registry, 'app_consistency_tokens_received_total')).toEqual([
      { verdict: 'accepted', value: 7 },
      { verdict: 'expired', value: 0 },
      { verdict: 'invalid', value: 1 },
      { verdict: 'foreign', value: 0 },
    ]);
    expect(await valuesOf(registry, 'app_consistency_tokens_issued_total')).toEqual([{ value: 9 }]);
  });

  it('should count the requests run again after a write conflict, by outcome', async () => {
    const registry = new Registry();
    const conflicts = new CertificationRetryCounters();
    new ReplicationMetrics(registry, topologyWith(), tokensWith(), conflicts);

    Object.assign(conflicts, { retries: 4, absorbed: 3, exhausted: 1 });

    expect(await valuesOf(registry, 'app_db_write_conflict_retries_total')).toEqual([
      { outcome: 'retried', value: 4 },
      { outcome: 'absorbed', value: 3 },
      { outcome: 'exhausted', value: 1 },
    ]);
  });

  it('should count each node\'s position queries by how they travelled', async () => {
    const registry = new Registry();
    const replica = admittedReplica('db-replica-1');
    Object.assign(replica.node.positionQueries, { pipelined: 40, ownRoundTrip: 2 });
    new ReplicationMetrics(registry, topologyWith(replica), tokensWith(), new CertificationRetryCounters());

    expect(await valuesOf(registry, 'app_db_position_queries_total')).toEqual(
      expect.arrayContaining([
        { node: 'db-replica-1', how: 'pipelined', value: 40 },
        { node: 'db-replica-1', how: 'own_round_trip', value: 2 },
        { node: 'db-primary', how: 'pipelined', value: 0 },
      ]),
    );
  });
});
