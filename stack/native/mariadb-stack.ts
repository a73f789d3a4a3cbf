import { MARIADB_SERVICES, runsMariaDb, ServiceSpec } from '../topology';
import { daemonPid } from './daemons';
import {
  createUsers,
  isInstalled,
  isReplicating,
  MARIADB_PACKAGES,
  MariaDbNode,
  mariaDbNode,
  promoteMostAdvanced,
  Promotion,
  rejoinAsReplica,
  replicateFrom,
  replicationStatus,
  sql,
  sqlRecords,
  sqlValue,
  startMariaDbNodes,
  waitForReplication,
} from './mariadb';
import { REQUIRED_PACKAGES } from './packages';
import type { Progress } from './stack';
import { recordState, stackState, stackTopology } from './stack-state';

/**
 * The native stack's database on MariaDB (`DB_DIALECT=mariadb npm run stack -- up`), as
 * docs/mariadb.md, "The native stack on MariaDB" describes it: db-primary, db-replica-1 and db-replica-2 as the GTID
 * harness's servers (stack/native/mariadb.ts) at the PostgreSQL nodes' addresses, one GTID domain, read_only replicas, the app user that read_only
 * binds. No manager watches them: `npm run stack -- promote` is the failover, and the stack's state records
 * which node is the primary now.
 */
const DB_SPECS = MARIADB_SERVICES.filter(runsMariaDb);

/**
 * Every node starts read_only, whatever its role: the roles move on promotion, and a command line that made
 * db-primary writable would let a former primary restarted after a promotion take writes beside the new one.
 * startMariaDbDatabase makes the recorded primary writable once it answers.
 */
export const mariaDbNodeOf = (spec: Pick<ServiceSpec, 'name' | 'address'>): MariaDbNode => {
  const host = Number(spec.address.split('.').pop());
  return mariaDbNode(spec.name, host, { serverId: DB_SPECS.findIndex((s) => s.name === spec.name) + 1, gtidDomainId: 0, readOnly: true });
};

const dbNodes = (): MariaDbNode[] => DB_SPECS.map(mariaDbNodeOf);
const nodeNamed = (name: string): MariaDbNode => {
  const node = dbNodes().find((n) => n.name === name);
  if (!node) throw new Error(`${name} is not a database node of the MariaDB stack; they are ${DB_SPECS.map((s) => s.name).join(', ')}`);
  return node;
};

/** The packages `up` needs on MariaDB: the stack's own but PostgreSQL's, Patroni's, etcd's and pgBackRest's, and MariaDB. */
const POSTGRES_PACKAGES = ['postgresql-15', 'patroni', 'etcd-server', 'pgbackrest'];
export const MARIADB_STACK_PACKAGES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(REQUIRED_PACKAGES).filter(([, pkg]) => !POSTGRES_PACKAGES.includes(pkg))),
  ...MARIADB_PACKAGES,
};

/** The node that takes writes now, as the stack's state records it. */
export const mariaDbPrimary = (): string => stackState().mariadbPrimary ?? 'db-primary';

/** The node the replication of `node` reads from (Master_Host), undefined when it replicates from nobody. */
async function sourceAddressOf(node: MariaDbNode): Promise<string | undefined> {
  const [status] = await sqlRecords(node, 'SHOW SLAVE STATUS');
  return status?.Master_Host ?? undefined;
}

/**
 * Gives a node that answers its role: the primary loses read_only; a replica that replicates from another node
 * is pointed at the primary, and a former primary (it replicates from nobody) rejoins as its replica
 * (rejoinAsReplica: refused when it holds writes the primary never received).
 */
async function takeRole(node: MariaDbNode, primary: MariaDbNode): Promise<void> {
  if (node.name === primary.name) {
    await sql(node, 'SET GLOBAL read_only = OFF');
    return;
  }
  const source = await sourceAddressOf(node);
  if (source === undefined) await rejoinAsReplica(node, primary);
  else if (source !== primary.address) await replicateFrom(node, primary);
}

/**
 * Starts the database nodes. The first time (no data yet) each gets the app's database and users, db-primary
 * becomes the primary and the replicas replicate from it by GTID; later, each node takes the role the state
 * records, the replicas resuming where they stopped.
 */
export async function startMariaDbDatabase(progress: Progress): Promise<void> {
  const nodes = dbNodes();
  const started = Date.now();
  const newCluster = !nodes.some(isInstalled);
  if (newCluster) progress('  · db-primary    initialising the MariaDB nodes (mariadb-install-db, users, GTID replication)');
  await startMariaDbNodes(nodes);
  const primary = nodeNamed(newCluster ? 'db-primary' : mariaDbPrimary());
  if (newCluster) {
    await Promise.all(nodes.map((node) => createUsers(node)));
    recordState({ ...stackState(), mariadbPrimary: primary.name });
  }
  for (const node of nodes) await takeRole(node, primary);
  await waitForReplication(nodes.filter((n) => n.name !== primary.name));
  for (const node of nodes) {
    progress(`  ✔ ${node.name.padEnd(13)} healthy   ${node.address}:3306  ${node.name === primary.name ? 'primary' : 'replica'}  (${Date.now() - started} ms)`);
  }
}

/** `start <db-node>` on MariaDB: the node started, in the role the state gives it. */
export async function startMariaDbDatabaseNode(name: string, progress: Progress): Promise<void> {
  const started = Date.now();
  const node = nodeNamed(name);
  await startMariaDbNodes([node]);
  const primary = nodeNamed(mariaDbPrimary());
  await takeRole(node, primary);
  if (node.name !== primary.name) await waitForReplication([node]);
  progress(`  ✔ ${node.name.padEnd(13)} healthy   ${node.address}:3306  ${node.name === primary.name ? 'primary' : 'replica'}  (${Date.now() - started} ms)`);
}

/** A node's health and role for `status`: the primary answers writable; a replica is read_only and replicating. */
export async function mariaDbNodeStatus(spec: ServiceSpec): Promise<{ healthy: boolean; role?: string }> {
  const node = mariaDbNodeOf(spec);
  if (daemonPid(node.name) === null) return { healthy: false };
  const readOnly = await sqlValue(node, 'SELECT @@read_only').catch(() => null);
  if (readOnly === null) return { healthy: false };
  if (readOnly === '0') return { healthy: node.name === mariaDbPrimary(), role: 'primary' };
  return { healthy: isReplicating(await replicationStatus(node)), role: 'replica' };
}

/** `promote` was asked for a node that cannot be promoted now. */
export class PromotionRefusedError extends Error {}

/**
 * `npm run stack -- promote [<node>]`: makes the most advanced replica by GTID the primary and points the other
 * replicas at it (promoteMostAdvanced), then records it. The primary must be stopped first (`stop db-primary`):
 * nothing fences a running one, and the apps would find two writable nodes. `<node>`, when given, must be
 * among the most advanced: promoting one behind would drop what only the others applied, and the error names
 * them. A stopped former primary rejoins as a replica when it is started again (takeRole). Refused on Galera, which
 * has no primary.
 */
export async function promote(name?: string): Promise<Promotion> {
  if (stackTopology() === 'galera') {
    throw new PromotionRefusedError('promote is for a primary and replicas: on Galera every member takes writes already, and a stopped one rejoins with npm run stack -- start <member>');
  }
  const current = mariaDbPrimary();
  if (name === current) throw new PromotionRefusedError(`${name} is the primary already`);
  if (daemonPid(current) !== null) {
    throw new PromotionRefusedError(`${current}, the primary, still runs: stop it first (npm run stack -- stop ${current}), then promote a replica`);
  }
  const replicas = dbNodes().filter((n) => n.name !== current && daemonPid(n.name) !== null);
  const prefer = name === undefined ? undefined : nodeNamed(name);
  if (prefer && !replicas.some((r) => r.name === prefer.name)) throw new PromotionRefusedError(`${name} is not running: start it first (npm run stack -- start ${name})`);
  const promotion = await promoteMostAdvanced(replicas, { prefer });
  recordState({ ...stackState(), mariadbPrimary: promotion.promoted });
  return promotion;
}
