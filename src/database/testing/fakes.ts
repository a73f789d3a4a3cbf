import { DatabaseNode } from '../database-node';
import { DatabaseTopology } from '../database-topology';
import { Lsn } from '../lsn';
import type { NodeProbeRow } from '../database-node';
import { Host } from '../host';

export interface FakeNode {
  /** Every statement fails with this. */
  failure?: Error;
  /** Connecting fails with this. */
  connectFailure?: Error;
  /** What positionAfter() answers: the node's replay (replica) or insert (primary) position. */
  position?: Lsn;
}

/**
 * A node whose connections answer every statement with one row naming the node (`{ node: name }`), and
 * `position` as the position read behind it; positionAfter() answers `position` too.
 */
export function fakeNode(name: string, behaviour: FakeNode = {}): DatabaseNode & FakeNode {
  const node = {
    name,
    address: `${name}:5432`,
    ...behaviour,
    async connect() {
      if (node.connectFailure) throw node.connectFailure;
      return {
        async query() {
          if (node.failure) throw node.failure;
          return { rows: [{ node: name }], rowCount: 1, command: 'SELECT' };
        },
        trackPositions: () => undefined,
        stopTracking: async () => node.position ?? null,
        release: () => undefined,
        on: () => undefined,
        off: () => undefined,
      };
    },
    positionQueries: { pipelined: 0, ownRoundTrip: 0 },
    async positionAfter() {
      return node.position ?? null;
    },
  };
  return node as unknown as DatabaseNode & FakeNode;
}

export const hysteresis = { excludeAfter: 2, readmitAfter: 2 };

/** A replica admitted by one good probe, at `replayLsn` / `lagSeconds` when given. */
export function admittedReplica(name: string, behaviour: FakeNode & { replayLsn?: string; lagSeconds?: number; lagBytes?: number } = {}): Host {
  const replica = new Host(fakeNode(name, behaviour), hysteresis);
  const { replayLsn = null, lagSeconds = 0, lagBytes = 0 } = behaviour;
  replica.recordProbe({ problem: null, observed: { reachable: true, role: 'replica', inRecovery: true, replayLsn, lagSeconds, lagBytes } });
  return replica;
}

/** An analytics replica (DB_ANALYTICS_HOSTS) admitted by one good probe. */
export function analyticsReplica(name: string, behaviour: FakeNode & { lagBytes?: number } = {}): Host {
  const replica = new Host(fakeNode(name, behaviour), hysteresis, 'analytics');
  replica.recordProbe({ problem: null, observed: { reachable: true, role: 'replica', inRecovery: true, lagSeconds: 0, lagBytes: behaviour.lagBytes ?? 0 } });
  return replica;
}

/** A replica that was admitted, then excluded by probes (e.g. lagging), still reachable. */
export function excludedReplica(name: string, lagBytes: number): Host {
  const replica = admittedReplica(name, { lagBytes });
  const lagging = { problem: `lag ${lagBytes} bytes`, observed: { reachable: true, role: 'replica' as const, inRecovery: true, lagBytes } };
  replica.recordProbe(lagging);
  replica.recordProbe(lagging);
  return replica;
}

/** A topology whose primary is `primary` (not in its replica list); add replicas with topology.hosts.add(). */
export function topologyLedBy(primary: DatabaseNode): DatabaseTopology {
  const topology = new DatabaseTopology(() => {
    throw new Error('no discovery in unit tests');
  });
  topology.setPrimary(primary);
  return topology;
}

/** What a probe of a fake node answers: a row, or an error (thrown). */
export type ProbeAnswer = NodeProbeRow | Error;

/**
 * A one-connection pool, as PostgresNode's probe pools are: one query at a time, the others queue, and one
 * that waits longer than `queueTimeoutMs` fails as pg-pool's does. `answer` is what a query gets, after
 * `busyMs(sql)` milliseconds holding the connection.
 */
export function oneConnectionPool(
  answer: (sql: string) => unknown,
  { queueTimeoutMs = 50, busyMs = () => 0 }: { queueTimeoutMs?: number; busyMs?: (sql: string) => number } = {},
) {
  let free: Promise<void> = Promise.resolve();
  return {
    async query(sql: string) {
      const previous = free;
      let release!: () => void;
      free = new Promise<void>((resolve) => (release = resolve));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), queueTimeoutMs)));
      if ((await Promise.race([previous.then(() => 'ready' as const), timedOut])) === 'timeout') {
        // pg-pool drops a queued request that timed out: the connection goes to the next in line.
        void previous.then(release);
        throw new Error('timeout exceeded when trying to connect');
      }
      clearTimeout(timer);
      try {
        await new Promise((resolve) => setTimeout(resolve, busyMs(sql)));
        const result = answer(sql);
        if (result instanceof Error) throw result;
        return { rows: [result] };
      } finally {
        release();
      }
    },
  };
}

/**
 * A fake node whose probe() answers `probe` and whose checkWritable() passes (a writable primary), each on a
 * one-connection pool as PostgresNode's are: `readinessMs` holds the readiness pool's connection that long.
 */
export function probedNode(name: string, probe: () => ProbeAnswer, pools: { readinessMs?: number } = {}) {
  const node = fakeNode(name) as DatabaseNode & FakeNode;
  const probes = oneConnectionPool(probe, { queueTimeoutMs: 50 });
  const readiness = oneConnectionPool(() => undefined, { queueTimeoutMs: 50, busyMs: () => pools.readinessMs ?? 0 });
  Object.assign(node, {
    endpoint: { host: name, port: 5432 },
    probe: async () => (await probes.query('probe')).rows[0] as NodeProbeRow,
    checkWritable: async () => void (await readiness.query('readiness')),
  });
  return node;
}

/** A probe row of a node: a primary (out of recovery) or a replica, on `timeline`. */
export function probeRow(name: string, role: 'primary' | 'replica', overrides: Partial<NodeProbeRow> = {}): NodeProbeRow {
  return {
    cluster_name: name,
    in_recovery: role === 'replica',
    read_only: role === 'replica',
    lsn: '0/1000',
    receive_lsn: role === 'replica' ? '0/1000' : null,
    receiving: role === 'replica',
    paused: false,
    replay_age_seconds: 0,
    apply_delay_ms: 0,
    timeline: 1,
    system_identifier: '7300000000000000001',
    clock_ms: Date.now(),
    ...overrides,
  };
}

/** A topology of `nodes` (all hosts, none primary yet), as DatabaseTopology.fromConfig makes one. */
export function topologyOf(...nodes: DatabaseNode[]): DatabaseTopology {
  const topology = new DatabaseTopology(() => {
    throw new Error('no discovery in unit tests');
  });
  nodes.forEach((node) => topology.hosts.add(new Host(node, hysteresis)));
  return topology;
}
