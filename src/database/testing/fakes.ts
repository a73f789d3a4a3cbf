import { EntityManager } from 'typeorm';
import { DatabaseNode } from '../database-node';
import { Replica } from '../replica';

/** A node whose manager() returns a marker object naming it, or fails with `failure` when set. */
export function fakeNode(name: string, behaviour: { failure?: Error } = {}): DatabaseNode & { failure?: Error } {
  const node = {
    name,
    address: `${name}:5432`,
    failure: behaviour.failure,
    manager: async () => ({ node: name, transaction: async (work: (em: unknown) => unknown) => work({ node: name }) }) as unknown as EntityManager,
  };
  return node as unknown as DatabaseNode & { failure?: Error };
}

export const hysteresis = { excludeAfter: 2, readmitAfter: 2 };

export function admittedReplica(name: string, behaviour: { failure?: Error } = {}): Replica {
  const replica = new Replica(fakeNode(name, behaviour), hysteresis);
  replica.recordProbe({ problem: null, observed: { reachable: true } });
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
