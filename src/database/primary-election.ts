import { DatabaseNode } from './database-node';
import type { Leadership } from './patroni-leadership';

/** What one probe saw of a node's role. */
export interface RoleObservation {
  node: DatabaseNode;
  reachable: boolean;
  name?: string;
  inRecovery?: boolean;
  readOnly?: boolean;
  timeline?: number | null;
  /** pg_control_system()'s: the same on every node of one cluster, and on no other. */
  systemIdentifier?: string;
  /** What Patroni on the node says of it, where Patroni runs (DB_PATRONI_API_PORT) and the node takes writes; else not asked. */
  leadership?: Leadership;
  /** A Galera member: writable alongside the others by design. */
  multiWriter?: boolean;
}

export type Election = { primary: DatabaseNode; reason?: undefined } | { primary?: undefined; reason: string };

/**
 * Which node takes writes now. Promotion is the failover manager's job (Patroni); following it is ours.
 * The primary is the one node of the cluster (`systemIdentifier`, once known) that is out of recovery, not
 * read-only, confirmed by Patroni where Patroni was asked, and on the highest timeline any reachable node of
 * the cluster reports. When two nodes claim it, or the only claimant is on an older timeline than a replica
 * has seen (an old primary cut off from a promoted one), there is no primary: writing to either could split
 * the history, so the app writes to neither until the manager settles it. A node of another cluster (a clone
 * someone started where the replicas are found) never counts, whatever its timeline; nor does a writable node
 * whose Patroni does not confirm it leads (a PITR copy of this very cluster promoted on a later timeline has
 * the cluster's system identifier but not the leader key), and its timeline is not the cluster's either.
 * Members of a Galera cluster all take writes, and their certification keeps them one history: the first of them
 * in `observations`' order (the configured one) is the node the app writes to.
 */
export function electPrimary(observations: RoleObservation[], systemIdentifier?: string): Election {
  const reachable = observations.filter((o) => o.reachable);
  const ours = (o: RoleObservation) => systemIdentifier === undefined || o.systemIdentifier === undefined || o.systemIdentifier === systemIdentifier;
  const writable = (o: RoleObservation) => !o.inRecovery && !o.readOnly;
  const unconfirmed = (o: RoleObservation) => writable(o) && o.leadership !== undefined && o.leadership !== 'leader';
  const cluster = reachable.filter((o) => ours(o) && !unconfirmed(o));
  const byName = new Map<string, RoleObservation>();
  for (const o of cluster) {
    const key = o.name ?? o.node.address; // one node may be known by two addresses
    if (writable(o) && !byName.has(key)) byName.set(key, o);
  }
  const claimants = [...byName.values()];
  if (claimants.length === 0) {
    const strays = reachable.filter((o) => !ours(o) && writable(o));
    if (strays.length) {
      return { reason: `${strays.map(nameOf).join(', ')} accepts writes but belongs to another cluster (system identifier ${strays[0].systemIdentifier}, this cluster's ${systemIdentifier})` };
    }
    const fenced = reachable.filter((o) => ours(o) && unconfirmed(o));
    if (fenced.length) {
      const says = fenced[0].leadership === 'not-leader' ? 'Patroni there says it does not lead' : 'Patroni there does not answer';
      return { reason: `${fenced.map(nameOf).join(', ')} accepts writes but ${says}` };
    }
    return { reason: reachable.length ? 'no reachable node accepts writes' : 'no node reachable' };
  }
  const highest = Math.max(...cluster.map((o) => o.timeline ?? 0));
  const current = claimants.filter((o) => (o.timeline ?? 0) === highest);
  if (current.length === 0) {
    return { reason: `${claimants.map((o) => o.name).join(', ')} accepts writes on timeline ${claimants[0].timeline}, behind timeline ${highest}` };
  }
  if (current.length > 1 && current.every((o) => o.multiWriter)) return { primary: current[0].node };
  if (current.length > 1) return { reason: `${current.map((o) => o.name).join(' and ')} all claim to be primary` };
  return { primary: current[0].node };
}

const nameOf = (o: RoleObservation) => o.name ?? o.node.address;
