import { GALERA_SERVICES, runsGalera, ServiceSpec } from '../topology';
import { daemonPid } from './daemons';
import { GALERA_PACKAGES, galeraClusterOf, galeraStatus, restartGaleraCluster, restartGaleraNode, startGaleraCluster, waitForSynced } from './galera';
import { isInstalled, MariaDbNode } from './mariadb';
import { MARIADB_STACK_PACKAGES } from './mariadb-stack';
import type { Progress } from './stack';

/**
 * The native stack's database on Galera (`DB_DIALECT=mariadb DB_TOPOLOGY=galera npm run stack -- up`), as
 * docs/galera.md, "The native stack on Galera" describes it: the Galera harness's three nodes (stack/native/galera.ts)
 * under compose's names, `mariadb-galera-1..3`, which the stack's DNS resolves. Every member takes writes: no
 * primary to record, nothing to promote.
 */
const MEMBER_SPECS = GALERA_SERVICES.filter(runsGalera);
const members = (): MariaDbNode[] => galeraClusterOf(MEMBER_SPECS);

const memberNamed = (name: string): MariaDbNode => {
  const node = members().find((n) => n.name === name);
  if (!node) throw new Error(`${name} is not a member of the Galera stack; they are ${MEMBER_SPECS.map((s) => s.name).join(', ')}`);
  return node;
};

/** The packages `up` needs on Galera: the MariaDB stack's, the provider, and rsync (its state transfer). */
export const GALERA_STACK_PACKAGES: Record<string, string> = { ...MARIADB_STACK_PACKAGES, ...GALERA_PACKAGES };

/**
 * The members an app server lists, its writer first (DB_PRIMARY_HOST, then DB_REPLICA_HOSTS): app-N writes to
 * mariadb-galera-N, so the two app servers' writes land on different members
 * (docs/galera.md, "The app on Galera"); the migrate and seed jobs take app-1's order.
 */
export function galeraHostsOf(instance: string): { DB_PRIMARY_HOST: string; DB_REPLICA_HOSTS: string } {
  const names = MEMBER_SPECS.map((s) => s.name);
  const writer = Math.max(0, names.indexOf(`mariadb-galera-${/^app-(\d+)$/.exec(instance)?.[1]}`));
  const [first, ...others] = [...names.slice(writer), ...names.slice(0, writer)];
  return { DB_PRIMARY_HOST: first, DB_REPLICA_HOSTS: others.join(',') };
}

const healthyLine = (node: MariaDbNode, started: number, state = 'Synced') =>
  `  ✔ ${node.name.padEnd(16)} healthy   ${node.address}:3306  ${state}  (${Date.now() - started} ms)`;

/**
 * Starts the cluster. The first time (no data yet) mariadb-galera-1 bootstraps it and gets the app's database and
 * users, and the others join by full state transfer (startGaleraCluster). Later (after `down`), from its data
 * (restartGaleraCluster): the member that left last starts it, the others rejoin by IST. Members that run already
 * stay; the stopped ones rejoin them.
 */
export async function startGaleraDatabase(progress: Progress): Promise<void> {
  const nodes = members();
  const started = Date.now();
  const running = nodes.filter((n) => daemonPid(n.name) !== null);
  if (!nodes.some(isInstalled)) {
    progress(`  · ${nodes[0].name} bootstrapping the Galera cluster (the others join it by state transfer, one at a time)`);
    await startGaleraCluster(nodes);
  } else if (running.length === 0) {
    progress('  · the Galera cluster starting again from its data (the member that left last first)');
    await restartGaleraCluster(nodes);
  } else {
    for (const node of nodes.filter((n) => !running.includes(n))) await restartGaleraNode(node);
  }
  await waitForSynced(nodes, nodes.length);
  for (const node of nodes) progress(healthyLine(node, started));
}

/**
 * `start <mariadb-galera-N>`: the member rejoins the running ones from the position its InnoDB recovers
 * (restartGaleraNode: `--wsrep-recover`, then IST), as after `stop --hard`. With no member running there is no
 * cluster to rejoin: `up` starts it again.
 */
export async function startGaleraMember(name: string, progress: Progress): Promise<void> {
  const node = memberNamed(name);
  const started = Date.now();
  const others = members().filter((n) => n.name !== name && daemonPid(n.name) !== null);
  if (daemonPid(name) === null) {
    if (others.length === 0) throw new Error(`no other member of the Galera cluster runs, so ${name} has no cluster to rejoin: npm run stack -- up starts it again`);
    await restartGaleraNode(node);
  }
  await waitForSynced([node, ...others], others.length + 1);
  progress(healthyLine(node, started));
}

/** A member's health for `status`: healthy while Synced in the primary component; its role is its state (Synced, Joining, Donor/Desynced, …). */
export async function galeraMemberStatus(spec: ServiceSpec): Promise<{ healthy: boolean; role?: string }> {
  if (daemonPid(spec.name) === null) return { healthy: false };
  const status = await galeraStatus(memberNamed(spec.name)).catch(() => null);
  if (status === null) return { healthy: false };
  return { healthy: status.localState === 'Synced' && status.clusterStatus === 'Primary', role: status.localState || undefined };
}
