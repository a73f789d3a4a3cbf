import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUBNET_PREFIX } from '../topology';
import { daemonPid, inNamespaceThroughMount, killAndWait } from './daemons';
import {
  createUsers,
  dataDir,
  MARIADB_PORT,
  MARIADB_USER,
  mariadbdCommand,
  mariaDbNode,
  MariaDbNode,
  removeMariaDbNodes,
  sqlValue,
  startMariaDbNodes,
} from './mariadb';
import { paths } from './paths';
import { runAsync, waitFor } from './shell';
import { missingPackages } from './packages';

/**
 * A Galera cluster of three MariaDB 10.11 nodes (issue 13, part 3; docs/galera.md): every node takes writes, and a
 * transaction commits only once every node has certified it. Built on mariadb.ts's nodes (one namespace each on
 * the stack's bridge, --no-defaults, throwaway data): a Galera node is a MariaDbNode with wsrep options.
 */
export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
/** Debian packages the cluster needs beyond mariadb.ts's, by file: the provider, and rsync for the state transfer. */
export const GALERA_PACKAGES: Record<string, string> = {
  [GALERA_PROVIDER]: 'galera-4',
  '/usr/bin/rsync': 'rsync',
};
export const GALERA_CLUSTER_NAME = 'galera-harness';
/**
 * The one GTID domain of every write set, on every node. With wsrep_gtid_mode and the same server_id on every
 * node, a transaction gets the same GTID (`100-21-<seq>`) on every node: a token taken on one node means the same
 * transaction on the others (WSREP_SYNC_WAIT_UPTO_GTID).
 */
export const GALERA_GTID_DOMAIN = 100;
export const GALERA_SERVER_ID = 21;

/**
 * Group communication timeouts shorter than Galera's defaults (suspect 5 s, inactive 15 s), so that the cluster
 * drops a silent node in about three seconds: the harness cuts and kills nodes, and waits for the cluster to
 * notice. A 32 MB gcache (128 MB by default) still holds far more than a restarted node misses here, so it rejoins by IST.
 */
const PROVIDER_OPTIONS = [
  'gcache.size=32M',
  'evs.keepalive_period=PT0.5S',
  'evs.inactive_check_period=PT0.5S',
  'evs.suspect_timeout=PT2S',
  'evs.inactive_timeout=PT4S',
  'evs.install_timeout=PT4S',
].join(';');

/**
 * `galera-1..3` at .91–.93. Each node's own gtid_domain_id is for writes outside Galera (none here); write sets use
 * GALERA_GTID_DOMAIN. docker-compose.yml's `galera` profile runs the same nodes under their own service names, and
 * test/compose/galera-compose.spec.ts checks them against these.
 */
const members = [91, 92, 93].map((host, i) => ({ name: `galera-${i + 1}`, address: `${SUBNET_PREFIX}.${host}` }));
export const galeraNodes: readonly MariaDbNode[] = galeraClusterOf(members);

/**
 * The nodes of a cluster of `members` (each at `${SUBNET_PREFIX}.<host>`), in their order: the harness's, and the
 * native stack's under compose's names (galera-stack.ts).
 */
export function galeraClusterOf(cluster: readonly Pick<MariaDbNode, 'name' | 'address'>[]): MariaDbNode[] {
  return cluster.map((member, i) =>
    mariaDbNode(member.name, Number(member.address.split('.').pop()), {
      serverId: GALERA_SERVER_ID,
      gtidDomainId: i + 1,
      options: galeraOptions(member, cluster.map((m) => m.address)),
      // rsync's daemon on a joiner looks up the donor's name: from the hosts file, not a DNS server that may not run.
      peers: cluster,
    }),
  );
}

/**
 * A node's wsrep options, in a cluster of the nodes at `clusterAddresses`. rsync is the state transfer (SST) here: mariabackup's package is not
 * installed, and mysqldump's needs the joiner to be up first. rsync copies the donor's data directory, binary logs
 * included, so a joiner starts with the donor's GTID history.
 */
export function galeraOptions(node: Pick<MariaDbNode, 'name' | 'address'>, clusterAddresses: readonly string[]): string[] {
  return [
    '--wsrep-on=ON',
    `--wsrep-provider=${GALERA_PROVIDER}`,
    `--wsrep-cluster-name=${GALERA_CLUSTER_NAME}`,
    `--wsrep-cluster-address=gcomm://${clusterAddresses.join(',')}`,
    `--wsrep-node-address=${node.address}`,
    `--wsrep-node-name=${node.name}`,
    `--wsrep-node-incoming-address=${node.address}:${MARIADB_PORT}`,
    '--wsrep-sst-method=rsync',
    `--wsrep-provider-options=${PROVIDER_OPTIONS}`,
    '--wsrep-gtid-mode=ON',
    `--wsrep-gtid-domain-id=${GALERA_GTID_DOMAIN}`,
    // Galera certifies row images, and replicated inserts must not take auto-increment table locks.
    '--innodb-autoinc-lock-mode=2',
    '--default-storage-engine=InnoDB',
  ];
}

/** The node that starts a new cluster (`--wsrep-new-cluster`): the first, once. */
const bootstrapping = (node: MariaDbNode): MariaDbNode => ({ ...node, options: [...(node.options ?? []), '--wsrep-new-cluster'] });

export interface GaleraStatus {
  node: string;
  /** Synced, Joining, Joined, Donor/Desynced, Initialized (no primary component). */
  localState: string;
  /** Primary (this node is in the component with quorum) or non-Primary. */
  clusterStatus: string;
  clusterSize: number;
  /** Whether the node takes queries: OFF while it has no quorum (then queries fail with 1047). */
  ready: string;
}

/** SHOW STATUS's wsrep fields that say whether a node is in the cluster (root over the node's socket, which a partition leaves working). */
export async function galeraStatus(node: MariaDbNode): Promise<GaleraStatus> {
  const rows = await sqlValue(
    node,
    "SELECT GROUP_CONCAT(CONCAT(VARIABLE_NAME, '=', VARIABLE_VALUE) SEPARATOR ';') FROM information_schema.GLOBAL_STATUS " +
      "WHERE VARIABLE_NAME IN ('WSREP_LOCAL_STATE_COMMENT', 'WSREP_CLUSTER_STATUS', 'WSREP_CLUSTER_SIZE', 'WSREP_READY')",
  );
  const status = Object.fromEntries((rows ?? '').split(';').map((pair) => pair.split('=') as [string, string]));
  return {
    node: node.name,
    localState: status.WSREP_LOCAL_STATE_COMMENT ?? '',
    clusterStatus: status.WSREP_CLUSTER_STATUS ?? '',
    clusterSize: Number(status.WSREP_CLUSTER_SIZE ?? 0),
    ready: status.WSREP_READY ?? '',
  };
}

/** Waits until every one of `nodes` is Synced in a primary component of `size` nodes; returns how long that took. */
export async function waitForSynced(nodes: readonly MariaDbNode[], size: number, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  await waitFor(
    `${nodes.map((n) => n.name).join(', ')} to be Synced in a cluster of ${size}`,
    async () =>
      (await Promise.all(nodes.map((n) => galeraStatus(n)))).every((s) => s.localState === 'Synced' && s.clusterStatus === 'Primary' && s.clusterSize === size),
    { timeoutMs, intervalMs: 50 },
  );
  return Date.now() - started;
}

/**
 * Starts the cluster: the first node bootstraps a new cluster and gets the users (stack/mariadb/users.sql), then
 * the others join it, each with a full state transfer (rsync) of the first's data, users and binary logs included.
 * Returns once all are Synced in one primary component.
 */
export async function startGaleraCluster(nodes: readonly MariaDbNode[] = galeraNodes): Promise<void> {
  const missing = missingPackages(GALERA_PACKAGES);
  if (missing.length > 0) throw new Error(`missing Debian packages: apt-get install -y ${missing.join(' ')}`);
  const [first, ...others] = nodes;
  await startMariaDbNodes([bootstrapping(first)]);
  await createUsers(first);
  // One at a time: joiners that start together each wait for a donor, and may first form a component of their own.
  for (const [i, node] of others.entries()) {
    await startMariaDbNodes([node]);
    await waitForSynced(nodes.slice(0, i + 2), i + 2);
  }
}

/**
 * The last write set a stopped node committed, as `mariadbd --wsrep-recover` reads it from InnoDB (what Debian's
 * galera_recovery does before systemd starts the server). After a kill, grastate.dat says seqno -1: started without
 * this, the node would ask for a full state transfer.
 */
export async function recoveredPosition(node: MariaDbNode): Promise<string> {
  const output = await runAsync(inNamespaceThroughMount(node.name, [...mariadbdCommand(node), '--wsrep-recover'], MARIADB_USER), { PATH: process.env.PATH });
  const [, position] = /WSREP: Recovered position: (\S+)/.exec(output) ?? [];
  if (!position) throw new Error(`${node.name}: mariadbd --wsrep-recover found no position\n${output}`);
  return position;
}

/**
 * Starts one node of a running cluster again (after a kill) from the position it recovers from InnoDB: it rejoins by
 * incremental transfer (IST) of what it missed from a donor's gcache, when the gcache still holds it.
 */
export async function restartGaleraNode(node: MariaDbNode): Promise<void> {
  await startMariaDbNodes([await fromRecoveredPosition(node)]);
}

const fromRecoveredPosition = async (node: MariaDbNode): Promise<MariaDbNode> => ({
  ...node,
  options: [...(node.options ?? []), `--wsrep-start-position=${await recoveredPosition(node)}`],
});

/** grastate.dat, Galera's saved state in the data directory: `seqno`, `safe_to_bootstrap`, … */
const grastateOf = (node: Pick<MariaDbNode, 'name'>) => join(dataDir(node.name), 'grastate.dat');

/**
 * The node to start a stopped cluster again from. After a clean stop, the one Galera marked `safe_to_bootstrap: 1`:
 * the last to leave, which holds every write. After every node crashed none is marked, and Galera's own procedure
 * applies: the one whose InnoDB recovers the highest seqno, marked safe to bootstrap here.
 */
async function bootstrapCandidate(nodes: readonly MariaDbNode[]): Promise<MariaDbNode> {
  const safe = nodes.find((node) => /^safe_to_bootstrap:\s*1\s*$/m.test(readFileSync(grastateOf(node), 'utf8')));
  if (safe) return safe;
  // A position reads `<cluster uuid>:<seqno>,<gtid>` (MariaDB 10.5+ adds the GTID).
  const seqnos = await Promise.all(nodes.map(async (node) => Number(/:(-?\d+)/.exec(await recoveredPosition(node))?.[1] ?? -1)));
  const best = nodes[seqnos.indexOf(Math.max(...seqnos))];
  writeFileSync(grastateOf(best), readFileSync(grastateOf(best), 'utf8').replace(/^safe_to_bootstrap:.*$/m, 'safe_to_bootstrap: 1'));
  return best;
}

/**
 * Starts a stopped cluster again from its data: the bootstrapCandidate starts a new primary component from its
 * recovered position, and the others rejoin it one at a time (restartGaleraNode), each by IST when the donor's gcache
 * still holds what it missed. Returns once all are Synced in one primary component.
 */
export async function restartGaleraCluster(nodes: readonly MariaDbNode[]): Promise<void> {
  const first = await bootstrapCandidate(nodes);
  await startMariaDbNodes([bootstrapping(await fromRecoveredPosition(first))]);
  const joined = [first];
  for (const node of nodes.filter((n) => n !== first)) {
    await restartGaleraNode(node);
    joined.push(node);
    await waitForSynced(joined, joined.length);
  }
}

/** SIGKILL to the node's server, as when it crashes: no shutdown and no leave message, only its connections closing with it. */
export async function killGaleraNode(node: MariaDbNode): Promise<void> {
  const pid = daemonPid(node.name);
  if (pid === null) throw new Error(`${node.name} is not running`);
  await killAndWait(pid, 'SIGKILL', 10_000);
}

/**
 * The state transfers a node received, as its log recorded them (wsrep_sst_rsync's words: Galera logs "SST received"
 * for both): a full copy of a donor's data (SST), or only the write sets it missed, from a donor's gcache (IST).
 */
export function stateTransfersOf(node: Pick<MariaDbNode, 'name'>): { sst: number; ist: number } {
  const log = readFileSync(paths.log(node.name), 'utf8');
  return {
    sst: (log.match(/rsync SST completed on joiner/g) ?? []).length,
    ist: (log.match(/rsync IST completed on joiner/g) ?? []).length,
  };
}

/** Stops and removes the cluster's nodes and everything they left (mariadb.ts's removeMariaDbNodes). */
export async function removeGaleraCluster(nodes: readonly MariaDbNode[] = galeraNodes): Promise<void> {
  await removeMariaDbNodes(nodes);
}
