import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { ConsistencyTokens } from '../database/consistency-tokens';
import { DatabaseTopology } from '../database/database-topology';
import { CertificationRetryCounters } from '../database/galera/certification-retry';
import type { HostHealth } from '../database/host';

/**
 * What the replication core knows, read at scrape time from memory (never from the database, so /metrics
 * answers with every node down): each replica's lag and eligibility as the lag monitor last saw it, each
 * node's query pool, and what consistency tokens have done.
 */
@Injectable()
export class ReplicationMetrics {
  constructor(registry: Registry, topology: DatabaseTopology, tokens: ConsistencyTokens, conflicts: CertificationRetryCounters) {
    // Every node but the current primary, as /health/replication lists them.
    const replicas = () =>
      topology.hosts
        .all()
        .filter((replica) => replica.node !== topology.primary)
        .map((replica) => replica.health);
    // Every node (the primary is one of them; roles move), once each.
    const nodes = () => [...new Set([...topology.hosts.all().map((replica) => replica.node), ...(topology.primary ? [topology.primary] : [])])];

    const perReplica = (name: string, help: string, value: (health: HostHealth) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['replica'],
        registers: [registry],
        collect() {
          this.reset(); // replicas come and go with DNS: only those there now have a series
          // Unknown (never probed, primary unreachable): no sample rather than a made-up 0.
          for (const health of replicas()) {
            const v = value(health);
            if (v !== null) this.set({ replica: health.name }, v);
          }
        },
      });
    perReplica('app_replica_lag_bytes', 'WAL bytes between the primary and what the replica has replayed, at the last probe', (h) => h.lagBytes);
    perReplica('app_replica_lag_seconds', 'Seconds the replica is behind (0 when it has replayed everything), at the last probe', (h) => h.lagSeconds);
    perReplica('app_replica_eligible', '1 when the replica may serve reads, 0 when it is excluded (see /health/replication for why)', (h) => Number(h.eligible));

    const perNode = (name: string, help: string, value: (pool: { total: number; idle: number; waiting: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['node'],
        registers: [registry],
        collect() {
          this.reset();
          for (const node of nodes()) this.set({ node: node.name }, value(node.pool));
        },
      });
    perNode('app_db_pool_connections', 'Open connections in the query pool to each node', (pool) => pool.total);
    perNode('app_db_pool_idle_connections', 'Idle connections in the query pool to each node', (pool) => pool.idle);
    perNode('app_db_pool_waiting_clients', 'Queries queued for a connection to each node (the pool is exhausted)', (pool) => pool.waiting);

    new Counter({
      name: 'app_db_position_queries_total',
      help: "WAL position queries for tokens and cache markers, by node and how they travelled: pipelined (in a read's or COMMIT's round trip) or own_round_trip",
      labelNames: ['node', 'how'],
      registers: [registry],
      collect() {
        this.reset();
        for (const node of nodes()) {
          this.inc({ node: node.name, how: 'pipelined' }, node.positionQueries.pipelined);
          this.inc({ node: node.name, how: 'own_round_trip' }, node.positionQueries.ownRoundTrip);
        }
      },
    });
    new Counter({
      name: 'app_consistency_tokens_received_total',
      help: 'Consistency tokens clients sent, by verdict: accepted, expired (ignored), invalid or foreign (read from the primary)',
      labelNames: ['verdict'],
      registers: [registry],
      collect() {
        this.reset(); // the counts live in ConsistencyTokens.stats: copy them in
        const { accepted, expired, invalid, foreign } = tokens.stats;
        Object.entries({ accepted, expired, invalid, foreign }).forEach(([verdict, count]) => this.inc({ verdict }, count));
      },
    });
    new Counter({
      name: 'app_db_write_conflict_retries_total',
      help: 'Requests run again after a write conflict (a Galera certification conflict, a deadlock): retried (each run again), absorbed (committed on a later run: the client never saw the conflict), exhausted (the client got 409)',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        const { retries, absorbed, exhausted } = conflicts;
        Object.entries({ retried: retries, absorbed, exhausted }).forEach(([outcome, count]) => this.inc({ outcome }, count));
      },
    });
    new Counter({
      name: 'app_consistency_tokens_issued_total',
      help: 'Consistency tokens sent in responses',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(tokens.stats.issued);
      },
    });
  }
}
