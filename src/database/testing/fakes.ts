import { EntityManager } from 'typeorm';
import { DatabaseNode } from '../database-node';
import { DatabaseTopology } from '../database-topology';
import { Lsn } from '../lsn';
import { Replica } from '../replica';

export interface FakeNode {
  failure?: Error;
  /** What positionAfter() answers: the node's replay (replica) or insert (primary) position. */
  position?: Lsn;
}

/**
 * A node whose work gets a marker object naming it as its EntityManager; read(), write() and positionAfter()
 * answer `position` as the node's position.
 */
export function fakeNode(name: string, behaviour: FakeNode = {}): DatabaseNode & FakeNode {
  const run = async <T>(work: (em: EntityManager) => Promise<T>) => ({ result: await work({ node: name } as unknown as EntityManager), position: node.position ?? null });
  const node = {
    name,
    address: `${name}:5432`,
    ...behaviour,
    read: run,
    write: run,
    positionQueries: { pipelined: 0, ownRoundTrip: 0 },
    async positionAfter() {
      return node.position ?? null;
    },
  };
  return node as unknown as DatabaseNode & FakeNode;
}

export const hysteresis = { excludeAfter: 2, readmitAfter: 2 };

/** A replica admitted by one good probe, at `replayLsn` / `lagSeconds` when given. */
export function admittedReplica(name: string, behaviour: FakeNode & { replayLsn?: string; lagSeconds?: number; lagBytes?: number } = {}): Replica {
  const replica = new Replica(fakeNode(name, behaviour), hysteresis);
  const { replayLsn = null, lagSeconds = 0, lagBytes = 0 } = behaviour;
  replica.recordProbe({ problem: null, observed: { reachable: true, role: 'replica', inRecovery: true, replayLsn, lagSeconds, lagBytes } });
  return replica;
}

/** A replica that was admitted, then excluded by probes (e.g. lagging), still reachable. */
export function excludedReplica(name: string, lagBytes: number): Replica {
  const replica = admittedReplica(name, { lagBytes });
  const lagging = { problem: `lag ${lagBytes} bytes`, observed: { reachable: true, role: 'replica' as const, inRecovery: true, lagBytes } };
  replica.recordProbe(lagging);
  replica.recordProbe(lagging);
  return replica;
}

/** Work that reports which node it ran on, failing there when the node is set to fail. */
export function whereItRan(nodes: Record<string, { failure?: Error }>) {
  return async (em: EntityManager): Promise<string> => {
    const name = (em as unknown as { node: string }).node;
    const failure = nodes[name]?.failure;
    if (failure) throw failure;
    return name;
  };
}

/** A topology whose primary is `primary` (not in its replica list); add replicas with topology.replicas.add(). */
export function topologyLedBy(primary: DatabaseNode): DatabaseTopology {
  const topology = new DatabaseTopology(() => {
    throw new Error('no discovery in unit tests');
  });
  topology.setPrimary(primary);
  return topology;
}
