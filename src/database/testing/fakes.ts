import { DatabaseNode } from '../database-node';
import { DatabaseTopology } from '../database-topology';
import { Lsn } from '../lsn';
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
