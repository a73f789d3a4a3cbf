import { chownSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BRIDGE, hostVethOf, MARIADB_PORT, NAMESPACE_PREFIX, namespaceOf, STACK_INDEX, SUBNET_PREFIX, ServiceSpec } from '../topology';
import { daemonPid, inNamespaceThroughMount, logTail, startDaemon, stopDaemon } from './daemons';
import { claimIndex, heldElsewhereMessage, IndexTakenError, indexHolder, releaseIndex } from './index-claim';
import { ensureBridge, ensureNamespace, listNamespaces, removeBridge, removeNamespace } from './netns';
import { mkdirThroughMount, paths, REPO_ROOT, STACK_DIR, throughMount } from './paths';
import { missingPackages } from './packages';
import { CommandError, run, runAsync, StopWaiting, succeeds, waitFor } from './shell';

/**
 * MariaDB 10.11 servers for the second dialect's harnesses (issue 13, docs/mariadb.md): each in its own network
 * namespace on the stack's bridge, like the PostgreSQL nodes, listening on 3306 at its own address. They are not
 * services of the stack (`up` never starts them): a test starts the servers it needs and removes them after.
 *
 * This machine's own MariaDB (127.0.0.1:3306, /run/mysqld) is never touched: every server here starts with
 * --no-defaults (so it reads none of /etc/mysql), its own data directory, socket and pid file under
 * STACK_DIR/mariadb/<name>/, and binds only its namespace's address.
 */
export const MARIADBD = '/usr/sbin/mariadbd';
export const MARIADB_INSTALL_DB = '/usr/bin/mariadb-install-db';
export const MARIADB_CLIENT = '/usr/bin/mariadb';
export { MARIADB_PORT };
export const MARIADB_USER = 'mysql';

/** Debian packages the harnesses need, by file, as stack.ts's REQUIRED_PACKAGES. */
export const MARIADB_PACKAGES: Record<string, string> = {
  [MARIADBD]: 'mariadb-server',
  [MARIADB_INSTALL_DB]: 'mariadb-server',
  [MARIADB_CLIENT]: 'mariadb-client',
};

/** Dev-only credentials, as postgres.ts's. root has no password: it logs in over the node's socket as this machine's root. */
export const mariadbCredentials = {
  app: { user: 'app', password: 'app-dev-password', database: 'app' },
  replicator: { user: 'replicator', password: 'replicator-dev-password' },
};

export interface MariaDbNode {
  /** Also the namespace's name (with the stack's prefix) and the log's and pid file's. */
  name: string;
  /** On the stack bridge, `${SUBNET_PREFIX}.<host>`. */
  address: string;
  /** Unique in a replication topology: a server skips the events that carry its own id (what stops a ring looping). */
  serverId: number;
  /** The GTID domain this node's own writes get: one per node that takes writes (a ring), or one for a primary and its replicas. */
  gtidDomainId: number;
  /** Interleaved auto-increments for a multi-writer ring: increment = number of writers, offset = 1…n. */
  autoIncrement?: { increment: number; offset: number };
  /** read_only=ON from the start: a replica, whose writes only the replication threads (and root) may make. */
  readOnly?: boolean;
  /** Extra mariadbd options, `--name=value`. */
  options?: string[];
  /** Nodes this node's namespace resolves by name and by address without DNS (ensureNamespace's peers): a Galera node's state-transfer peers. */
  peers?: readonly Pick<MariaDbNode, 'name' | 'address'>[];
}

/** A node on the stack's subnet: `host` is the last byte of its address. */
export function mariaDbNode(name: string, host: number, settings: Omit<MariaDbNode, 'name' | 'address'>): MariaDbNode {
  return { name, address: `${SUBNET_PREFIX}.${host}`, ...settings };
}

/**
 * The harnesses' two topologies (docs/mariadb.md). docker-compose.yml's `mariadb` and `mariadb-ring` profiles run
 * the same nodes, under their own service names, and test/compose/mariadb-compose.spec.ts checks them against these.
 *
 * A primary and two read_only replicas in one GTID domain (0).
 */
export const gtidPrimary = mariaDbNode('gtid-primary', 81, { serverId: 11, gtidDomainId: 0 });
export const gtidReplicas = [1, 2].map((n) => mariaDbNode(`gtid-replica-${n}`, 81 + n, { serverId: 11 + n, gtidDomainId: 0, readOnly: true }));

/** The ring A→B→C→A: each node's own writes in a GTID domain of its own, auto-increments interleaved (3, offsets 1, 2, 3). */
export const ringNodes = ['a', 'b', 'c'].map((letter, i) =>
  mariaDbNode(`ring-${letter}`, 71 + i, { serverId: i + 1, gtidDomainId: i + 1, autoIncrement: { increment: 3, offset: i + 1 } }),
);

/** The node a ring node replicates from: the one before it in the ring (A from C, B from A, C from B). */
export const ringSourceOf = (node: MariaDbNode): MariaDbNode => ringNodes[(ringNodes.indexOf(node) + ringNodes.length - 1) % ringNodes.length];

const specOf = (node: MariaDbNode): ServiceSpec => ({ name: node.name, kind: 'mariadb', address: node.address, port: MARIADB_PORT });

/** Everything the harnesses write: one directory per node, deleted by removeMariaDbNodes. */
export const MARIADB_DIR = join(STACK_DIR, 'mariadb');
const nodeDir = (name: string) => join(MARIADB_DIR, name);
/** A node's data directory (Galera keeps its saved state there too: grastate.dat). */
export const dataDir = (name: string): string => join(nodeDir(name), 'data');
const runDir = (name: string) => join(nodeDir(name), 'run');
export const socketOf = (name: string): string => join(runDir(name), 'mariadb.sock');
/** The data directory every node's is copied from (installDataDir). */
const TEMPLATE_DIR = join(MARIADB_DIR, '.template');

let ids: { uid: number; gid: number } | undefined;
function ownedByMysql(dir: string, mode: number): void {
  mkdirSync(dir, { recursive: true });
  ids ??= { uid: Number(run(['id', '-u', MARIADB_USER])), gid: Number(run(['id', '-g', MARIADB_USER])) };
  chownSync(dir, ids.uid, ids.gid);
  chmodSync(dir, mode);
}

export function missingMariaDbPrerequisites(): string[] {
  const missing = missingPackages(MARIADB_PACKAGES);
  const problems = missing.length > 0 ? [`missing Debian packages: apt-get install -y ${missing.join(' ')}`] : [];
  if (process.getuid?.() !== 0) problems.push('the MariaDB harnesses create network namespaces: run them as root');
  return problems;
}

/**
 * What makes a node what it is in its replication topology, as mariadbd options without their `--`: natively
 * (mariadbdCommand) and in compose (docker-compose.yml's mariadb profiles). Row-based binary logs with
 * log_slave_updates, so a node passes on what it applies: a ring needs it, and a replica with its own binlog can
 * be promoted. log-bin and relay-log are base names: mariadbd puts a relative one in the data directory.
 */
export function replicationSettings(node: Pick<MariaDbNode, 'serverId' | 'gtidDomainId' | 'autoIncrement' | 'readOnly'>): Record<string, string> {
  return {
    'server-id': String(node.serverId),
    'gtid-domain-id': String(node.gtidDomainId),
    'gtid-strict-mode': 'ON',
    'log-bin': 'binlog',
    'relay-log': 'relay',
    'log-slave-updates': 'ON',
    'binlog-format': 'ROW',
    ...(node.autoIncrement
      ? { 'auto-increment-increment': String(node.autoIncrement.increment), 'auto-increment-offset': String(node.autoIncrement.offset) }
      : {}),
    ...(node.readOnly ? { 'read-only': 'ON' } : {}),
  };
}

/** The settings of replicationSettings whose value is a file's base name, in the data directory. */
const IN_DATA_DIR = ['log-bin', 'relay-log'];

/**
 * mariadbd's command line, every path as the server sees it through the mount of STACK_DIR (startDaemon runs it as
 * `mysql`, who may not be able to enter the checkout): the node's replicationSettings, and fast settings (the
 * data is throwaway, so neither InnoDB nor the binary log syncs).
 */
export function mariadbdCommand(node: MariaDbNode): string[] {
  const replication = Object.entries(replicationSettings(node)).map(([name, value]) =>
    IN_DATA_DIR.includes(name) ? `--${name}=${throughMount(join(dataDir(node.name), value))}` : `--${name}=${value}`,
  );
  return [
    MARIADBD,
    '--no-defaults',
    `--datadir=${throughMount(dataDir(node.name))}`,
    `--socket=${throughMount(socketOf(node.name))}`,
    `--pid-file=${throughMount(join(runDir(node.name), 'mariadb.pid'))}`,
    `--bind-address=${node.address}`,
    `--port=${MARIADB_PORT}`,
    '--skip-name-resolve',
    ...replication,
    `--report-host=${node.address}`,
    // Small and fast: the harnesses run several servers on a small machine, and their data is throwaway.
    '--innodb-buffer-pool-size=32M',
    '--innodb-log-file-size=16M',
    // 2, not 0: each commit still reaches the OS, so a killed mariadbd (the failover harness) loses nothing; only
    // the fsync is skipped.
    '--innodb-flush-log-at-trx-commit=2',
    '--sync-binlog=0',
    '--performance-schema=OFF',
    ...(node.options ?? []),
  ];
}

/** The node has a data directory (installDataDir ran): its users and replication were set up when it was made. */
export const isInstalled = (node: Pick<MariaDbNode, 'name'>): boolean => existsSync(join(dataDir(node.name), 'mysql'));

/**
 * A new data directory (system tables, root@localhost by unix socket only, no test database) is a copy of one
 * that mariadb-install-db made once for all the nodes: a node's identity is in its command line (server_id,
 * gtid_domain_id), not in its data, and installing takes ~3 s per node (one after the other) where copying takes 0.25 s.
 */
function installDataDir(node: MariaDbNode): void {
  mkdirThroughMount(runDir(node.name));
  ownedByMysql(runDir(node.name), 0o755);
  if (isInstalled(node)) return;
  if (!existsSync(TEMPLATE_DIR)) {
    // Installed beside it, then renamed: a spec running at the same time (Jest without --runInBand) never
    // copies a half-installed template.
    const installing = `${TEMPLATE_DIR}-${process.pid}`;
    ownedByMysql(installing, 0o700);
    const install = [
      MARIADB_INSTALL_DB,
      '--no-defaults',
      `--datadir=${throughMount(installing)}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      // The namespace's resolver points at the stack's DNS server, which these harnesses do not start.
      '--skip-name-resolve',
    ];
    try {
      run(inNamespaceThroughMount(node.name, install, MARIADB_USER));
      if (!existsSync(TEMPLATE_DIR)) renameSync(installing, TEMPLATE_DIR);
    } finally {
      rmSync(installing, { recursive: true, force: true });
    }
  }
  rmSync(dataDir(node.name), { recursive: true, force: true });
  run(['cp', '-a', TEMPLATE_DIR, dataDir(node.name)]);
}

export class SqlError extends Error {
  constructor(
    readonly node: string,
    /** MariaDB's error number (1290: read-only, 1062: duplicate key), or null when the client failed otherwise. */
    readonly errno: number | null,
    message: string,
  ) {
    super(`${node}: ${message}`);
  }
}

export interface SqlOptions {
  /** Log in as this user over TCP (from this machine's namespace, through the bridge); root over the socket by default. */
  as?: { user: string; password: string };
  database?: string;
}

/** Runs the `mariadb` client; `withNames` keeps the header line (the column names) as the first row. */
async function client(node: Pick<MariaDbNode, 'name' | 'address'>, text: string, options: SqlOptions, withNames: boolean): Promise<(string | null)[][]> {
  const login = options.as
    ? [`--host=${node.address}`, `--port=${MARIADB_PORT}`, `--user=${options.as.user}`]
    : [`--socket=${socketOf(node.name)}`, '--user=root'];
  const names = withNames ? [] : ['--skip-column-names'];
  const argv = [MARIADB_CLIENT, '--no-defaults', ...login, '--batch', ...names, '--connect-timeout=2', ...(options.database ? [options.database] : []), '-e', text];
  const env = { PATH: process.env.PATH, ...(options.as ? { MYSQL_PWD: options.as.password } : {}) };
  let output: string;
  try {
    output = await runAsync(argv, env);
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    const [, errno] = /ERROR (\d+)/.exec(error.output) ?? [];
    throw new SqlError(node.name, errno ? Number(errno) : null, error.output.trim());
  }
  // --batch escapes tabs, newlines and backslashes in values, and prints NULL for null.
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t').map((value) => (value === 'NULL' ? null : value.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', 0: '\0' })[c] ?? c))));
}

/**
 * Runs SQL on a node with the `mariadb` client, one session for the whole text (so `SELECT @@last_gtid` after an
 * INSERT sees that INSERT's GTID), and returns the last statement's rows as arrays of strings (NULL as null).
 */
export function sql(node: Pick<MariaDbNode, 'name' | 'address'>, text: string, options: SqlOptions = {}): Promise<(string | null)[][]> {
  return client(node, text, options, false);
}

/** Like sql(), the rows as records by column name. */
export async function sqlRecords(node: Pick<MariaDbNode, 'name' | 'address'>, text: string, options: SqlOptions = {}): Promise<Record<string, string | null>[]> {
  const [header, ...rows] = await client(node, text, options, true);
  return rows.map((row) => Object.fromEntries((header ?? []).map((name, i) => [name ?? '', row[i] ?? null])));
}

/** The first column of the first row. */
export async function sqlValue(node: Pick<MariaDbNode, 'name' | 'address'>, text: string, options: SqlOptions = {}): Promise<string | null> {
  return (await sql(node, text, options))[0]?.[0] ?? null;
}

/** The node answers root over its socket. */
async function isAnswering(node: MariaDbNode): Promise<boolean> {
  if (daemonPid(node.name) === null) throw new StopWaiting(`${node.name} exited while starting`);
  return (await sqlValue(node, 'SELECT 1').catch(() => null)) === '1';
}

/**
 * Initialises (first start only) and starts the nodes in parallel, each in its own namespace, and waits until each
 * answers. Claims the stack index first, as `up` does: another checkout's stack on it makes this throw, starting nothing.
 */
export async function startMariaDbNodes(nodes: readonly MariaDbNode[]): Promise<void> {
  const problems = missingMariaDbPrerequisites();
  if (problems.length > 0) throw new Error(problems.join('\n'));
  claimIndex();
  ensureBridge();
  await Promise.all(
    nodes.map(async (node) => {
      ensureNamespace(specOf(node), node.peers);
      installDataDir(node);
      if (daemonPid(node.name) === null) startDaemon(node.name, mariadbdCommand(node), { user: MARIADB_USER, mountStackDir: true, env: { PATH: process.env.PATH } });
      try {
        await waitFor(`${node.name} to answer on ${socketOf(node.name)}`, () => isAnswering(node), { timeoutMs: 60_000 });
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${logTail(node.name)}`, { cause: error });
      }
    }),
  );
}

/** Stops one node (SIGTERM: mariadbd shuts down cleanly) and waits for it to exit. */
export async function stopMariaDbNode(node: Pick<MariaDbNode, 'name'>): Promise<void> {
  await stopDaemon(node.name, 'SIGTERM', 30_000);
}

/**
 * Stops the nodes, removes their namespaces, their directories and logs, and, when no namespace of the stack
 * index is left, the bridge, the index's claim and the directories left empty. Safe to call after a failed or
 * partial start, and twice.
 */
export async function removeMariaDbNodes(nodes: readonly Pick<MariaDbNode, 'name'>[]): Promise<void> {
  // As `down`: the namespaces of an index another checkout holds are that checkout's, even under these names.
  const holder = indexHolder();
  if (holder.by === 'another checkout') throw new IndexTakenError(heldElsewhereMessage(holder, STACK_INDEX));
  await Promise.all(nodes.map((node) => stopMariaDbNode(node)));
  for (const node of nodes) {
    removeNamespace(namespaceOf(node.name));
    rmSync(nodeDir(node.name), { recursive: true, force: true });
    rmSync(paths.pid(node.name), { force: true });
    rmSync(paths.log(node.name), { force: true });
  }
  // No node left: the template goes too (and what an install interrupted by a crash left beside it).
  if (existsSync(MARIADB_DIR) && readdirSync(MARIADB_DIR).every((entry) => entry.startsWith(basename(TEMPLATE_DIR)))) rmSync(MARIADB_DIR, { recursive: true, force: true });
  for (const dir of [MARIADB_DIR, dirname(paths.pid('-')), dirname(paths.log('-')), STACK_DIR]) removeIfEmpty(dir);
  if (listNamespaces().length === 0) {
    if (succeeds(['ip', 'link', 'show', BRIDGE])) removeBridge();
    releaseIndex();
  }
}

function removeIfEmpty(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}

/** This stack index's namespaces that belong to the given nodes (empty once removeMariaDbNodes has run). */
export const namespacesLeft = (nodes: readonly Pick<MariaDbNode, 'name'>[]): string[] =>
  listNamespaces().filter((ns) => nodes.some((node) => ns === `${NAMESPACE_PREFIX}${node.name}`));

/** The SQL every node runs, natively and in compose (docker/mariadb/init-node.sh fills the same files). */
export const MARIADB_SQL_DIR = join(REPO_ROOT, 'stack', 'mariadb');
export const USERS_SQL = 'users.sql';
export const REPLICATE_FROM_SQL = 'replicate-from.sql';

/** Escaped for the inside of a SQL string literal, as the image's entrypoint escapes (docker_sql_escape_string_literal). */
const escapeLiteral = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/'/g, "\\'");
const quote = (value: string) => `'${escapeLiteral(value)}'`;

/** The statements of a file of MARIADB_SQL_DIR, one a line, as written: `--` comments and blank lines dropped. */
const statementLinesOf = (file: string): string[] =>
  readFileSync(join(MARIADB_SQL_DIR, file), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('--'));

const PLACEHOLDER = /\$\{([A-Z_]+)\}/g;

/** The ${PLACEHOLDERS} of a file of MARIADB_SQL_DIR's statements. */
export const sqlPlaceholders = (file: string): string[] => [
  ...new Set(statementLinesOf(file).flatMap((line) => [...line.matchAll(PLACEHOLDER)].map(([, name]) => name))),
];

/**
 * The statements of a file of MARIADB_SQL_DIR, each ${PLACEHOLDER} filled with its value escaped for a string
 * literal, without their `;`. Throws for a placeholder with no value.
 */
export function sqlStatements(file: string, values: Record<string, string | number>): string[] {
  return statementLinesOf(file).map((line) =>
    line.replace(/;$/, '').replace(PLACEHOLDER, (_, name: string) => {
      if (values[name] === undefined) throw new Error(`${file}: no value for \${${name}}`);
      return escapeLiteral(String(values[name]));
    }),
  );
}

/** The values of users.sql's placeholders natively: mariadbCredentials. */
export const usersSqlValues = (): Record<string, string> => {
  const { app, replicator } = mariadbCredentials;
  return {
    APP_DATABASE: app.database,
    APP_USER: app.user,
    APP_PASSWORD: app.password,
    REPLICATOR_USER: replicator.user,
    REPLICATOR_PASSWORD: replicator.password,
  };
};

/**
 * The app's database and the two users (stack/mariadb/users.sql), created the same way on every node and kept out
 * of the binary log, so that every node starts with the same data and an empty GTID history: a ring or a replica
 * then replicates only what comes after.
 *
 * `app` gets ordinary DML and DDL on the app's database and nothing global: without SUPER or READ_ONLY ADMIN,
 * read_only=ON refuses its writes (1290). root has both and is never refused: a root write on a replica is the
 * trap docs/mariadb.md describes.
 */
export async function createUsers(node: MariaDbNode): Promise<void> {
  await sql(node, sqlStatements(USERS_SQL, usersSqlValues()).join(';\n'));
}

/** The app user's login, for `sql(node, text, { as: appLogin })`. */
export const appLogin = { user: mariadbCredentials.app.user, password: mariadbCredentials.app.password };

/**
 * Makes `replica` replicate from `source` by GTID (stack/mariadb/replicate-from.sql), from `replica`'s own
 * gtid_slave_pos (MASTER_USE_GTID=slave_pos: where it stopped applying, whatever file and offset the source's
 * binlog has then), and starts both threads.
 */
export async function replicateFrom(replica: MariaDbNode, source: MariaDbNode): Promise<void> {
  const { replicator } = mariadbCredentials;
  const values = { SOURCE_HOST: source.address, SOURCE_PORT: MARIADB_PORT, REPLICATOR_USER: replicator.user, REPLICATOR_PASSWORD: replicator.password };
  await sql(replica, sqlStatements(REPLICATE_FROM_SQL, values).join(';\n'));
}

/**
 * Takes the node's link to the bridge down (its end on this machine), or up again: as a network partition, every
 * connection stays open on both sides and simply stops carrying anything, so a replica's IO thread still reports
 * itself running. The node's socket, on this machine's side, still answers.
 */
export function setLinkUp(node: MariaDbNode, up: boolean): void {
  run(['ip', 'link', 'set', hostVethOf(specOf(node)), up ? 'up' : 'down']);
}

/** read_only=ON: refuses writes from every user without READ_ONLY ADMIN (the replication threads still apply). */
export async function setReadOnly(node: MariaDbNode, readOnly = true): Promise<void> {
  await sql(node, `SET GLOBAL read_only = ${readOnly ? 'ON' : 'OFF'}`);
}

export interface ReplicationStatus {
  node: string;
  /** False for a node that replicates from nobody (SHOW SLAVE STATUS is empty). */
  configured: boolean;
  ioRunning: string | null;
  sqlRunning: string | null;
  lastIoErrno: number;
  lastIoError: string;
  lastSqlErrno: number;
  lastSqlError: string;
  /** NULL while the SQL thread is stopped, 0 while the IO thread is not fetching: not a measure of lag by itself. */
  secondsBehindMaster: string | null;
  /** What the IO thread has fetched into the relay log. */
  gtidIoPos: string;
  /** What the SQL thread has applied. */
  gtidSlavePos: string;
}

/** SHOW SLAVE STATUS, the fields a harness judges by. */
export async function replicationStatus(node: MariaDbNode): Promise<ReplicationStatus> {
  const [status] = await sqlRecords(node, 'SHOW SLAVE STATUS');
  const gtidSlavePos = (await sqlValue(node, 'SELECT @@gtid_slave_pos')) ?? '';
  const field = (name: string) => status?.[name] ?? null;
  return {
    node: node.name,
    configured: status !== undefined,
    ioRunning: field('Slave_IO_Running'),
    sqlRunning: field('Slave_SQL_Running'),
    lastIoErrno: Number(field('Last_IO_Errno') ?? 0),
    lastIoError: field('Last_IO_Error') ?? '',
    lastSqlErrno: Number(field('Last_SQL_Errno') ?? 0),
    lastSqlError: field('Last_SQL_Error') ?? '',
    secondsBehindMaster: field('Seconds_Behind_Master'),
    gtidIoPos: field('Gtid_IO_Pos') ?? '',
    gtidSlavePos,
  };
}

/** Both replication threads run and neither has an error. */
export const isReplicating = (status: ReplicationStatus): boolean =>
  status.configured && status.ioRunning === 'Yes' && status.sqlRunning === 'Yes' && status.lastSqlErrno === 0;

/** Waits until every replication link of the nodes runs (its IO thread connected, its SQL thread applying). */
export async function waitForReplication(nodes: readonly MariaDbNode[], timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `replication to run on ${nodes.map((n) => n.name).join(', ')}`,
    async () => (await Promise.all(nodes.map((n) => replicationStatus(n)))).every((s) => !s.configured || isReplicating(s)),
    { timeoutMs, intervalMs: 100 },
  );
}

/**
 * Waits until each replica has applied everything the primary has written so far (its gtid_slave_pos includes the
 * primary's gtid_binlog_pos): replicating is not enough after a restart or a stopped SQL thread, it must also
 * have caught up.
 */
export async function waitForCatchUp(replicas: readonly MariaDbNode[], primary: MariaDbNode, timeoutMs = 30_000): Promise<void> {
  const target = (await sqlValue(primary, 'SELECT @@gtid_binlog_pos')) ?? '';
  await waitFor(
    `${replicas.map((r) => r.name).join(', ')} to apply ${primary.name}'s ${target}`,
    async () => (await Promise.all(replicas.map((r) => sqlValue(r, 'SELECT @@gtid_slave_pos')))).every((applied) => positionIncludesAll(applied ?? '', target)),
    { timeoutMs, intervalMs: 50 },
  );
}

/** A GTID position (`1-1-5,2-2-7`) as domain → `domain-server-seq`, to compare positions whatever their order. */
export function gtidsByDomain(position: string): Map<number, { server: number; seq: number }> {
  const byDomain = new Map<number, { server: number; seq: number }>();
  for (const gtid of position.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [domain, server, seq] = gtid.split('-').map(Number);
    byDomain.set(domain, { server, seq });
  }
  return byDomain;
}

/** The position holds the transaction `gtid` (`domain-server-seq`): its domain has reached that sequence number. */
export function positionIncludes(position: string, gtid: string): boolean {
  const [domain, , seq] = gtid.split('-').map(Number);
  return (gtidsByDomain(position).get(domain)?.seq ?? -1) >= seq;
}

/** The position holds every transaction of `other`, domain by domain: a replica at `position` has caught up with `other`. */
export function positionIncludesAll(position: string, other: string): boolean {
  return [...gtidsByDomain(other)].every(([domain, { server, seq }]) => positionIncludes(position, `${domain}-${server}-${seq}`));
}

/** The same transactions, domain by domain (the order of the list does not matter). */
export function samePosition(a: string, b: string): boolean {
  const [left, right] = [gtidsByDomain(a), gtidsByDomain(b)];
  return left.size === right.size && [...left].every(([domain, { seq }]) => right.get(domain)?.seq === seq);
}

export interface NodeChecksums {
  node: string;
  /** @@gtid_binlog_pos: with log_slave_updates, what the node wrote or applied. */
  binlogPosition: string;
  /** CHECKSUM TABLE by table (`db.table`), null for a table the node does not have. */
  checksums: Record<string, string | null>;
  replication: ReplicationStatus;
}

/**
 * CHECKSUM TABLE of the tables on every node, with each node's binlog position and replication status. The
 * checksums are taken once the nodes hold the same position (every write reached every node), or once a link
 * has failed (the position will never match), or after `settleMs`: comparing earlier would report a write in
 * flight as a divergence.
 */
export async function ringChecksums(nodes: readonly MariaDbNode[], tables: readonly string[], { settleMs = 10_000 } = {}): Promise<NodeChecksums[]> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const [positions, statuses] = await Promise.all([
      Promise.all(nodes.map((n) => sqlValue(n, 'SELECT @@gtid_binlog_pos'))),
      Promise.all(nodes.map((n) => replicationStatus(n))),
    ]);
    const settled = positions.every((p) => samePosition(p ?? '', positions[0] ?? ''));
    const failed = statuses.some((s) => s.configured && (s.lastSqlErrno !== 0 || s.sqlRunning !== 'Yes'));
    if (settled || failed || Date.now() > deadline) {
      return Promise.all(
        nodes.map(async (node, i) => {
          const rows = await sql(node, `CHECKSUM TABLE ${tables.join(', ')}`);
          const checksums = Object.fromEntries(rows.map(([table, checksum]) => [table ?? '', checksum]));
          return { node: node.name, binlogPosition: positions[i] ?? '', checksums, replication: statuses[i] };
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Divergence {
  /** Tables whose checksum is not the same on every node, with each node's checksum. */
  tables: { table: string; checksums: Record<string, string | null> }[];
  /** Links that stopped: the node whose SQL or IO thread is not running, and its last error. */
  stoppedLinks: { node: string; ioRunning: string | null; sqlRunning: string | null; errno: number; error: string }[];
  /** Whether the nodes hold the same GTID position (false: some write has not reached some node). */
  positionsMatch: boolean;
}

/**
 * What ringChecksums' report says is wrong: diverged tables (silent: replication still runs) and stopped links
 * (loud: SHOW SLAVE STATUS has the error). Empty lists mean the nodes agree.
 */
export function detectDivergence(report: readonly NodeChecksums[]): Divergence {
  const tables = [...new Set(report.flatMap((r) => Object.keys(r.checksums)))]
    .map((table) => ({ table, checksums: Object.fromEntries(report.map((r) => [r.node, r.checksums[table] ?? null])) }))
    .filter(({ checksums }) => new Set(Object.values(checksums)).size > 1);
  const stoppedLinks = report
    .map((r) => r.replication)
    .filter((s) => s.configured && (s.ioRunning !== 'Yes' || s.sqlRunning !== 'Yes' || s.lastSqlErrno !== 0))
    .map((s) => ({ node: s.node, ioRunning: s.ioRunning, sqlRunning: s.sqlRunning, errno: s.lastSqlErrno || s.lastIoErrno, error: s.lastSqlError || s.lastIoError }));
  const positionsMatch = report.every((r) => samePosition(r.binlogPosition, report[0]?.binlogPosition ?? ''));
  return { tables, stoppedLinks, positionsMatch };
}

/** True when detectDivergence found nothing wrong. */
export const nodesAgree = (divergence: Divergence): boolean =>
  divergence.tables.length === 0 && divergence.stoppedLinks.length === 0 && divergence.positionsMatch;

/**
 * Waits until `node` has applied `gtid` (MASTER_GTID_WAIT): 0 when it has, -1 when `timeoutSeconds` passed first.
 * It waits on gtid_slave_pos, what the node applied as a replica: a node's own writes never count.
 */
export async function masterGtidWait(node: MariaDbNode, gtid: string, timeoutSeconds: number): Promise<number> {
  return Number(await sqlValue(node, `SELECT MASTER_GTID_WAIT(${quote(gtid)}, ${timeoutSeconds})`));
}

/** The sequence number a position holds in `domain`, -1 when it holds nothing of that domain. */
export const sequenceIn = (position: string, domain: number): number => gtidsByDomain(position).get(domain)?.seq ?? -1;

export interface Promotion {
  /** The replica that is now the primary. */
  promoted: string;
  /** Its @@gtid_binlog_pos when it took writes: every transaction any replica had applied. */
  position: string;
  /** Each reachable replica's applied position when the choice was made. */
  candidates: { node: string; position: string }[];
  /** The replicas now replicating from the promoted one. */
  repointed: string[];
  /** Replicas that did not answer: left as they were (rejoinAsReplica once they are back). */
  unreachable: string[];
}

/** Promoting this node would lose transactions another replica has: it is not the most advanced. */
export class PromotionWouldLoseTransactionsError extends Error {}

/**
 * Failover for the GTID topology, the part MHA does not do for MariaDB's GTIDs (docs/mariadb.md): once the
 * primary is gone, promotes the replica that has applied the most of the primary's domain and points the others
 * at it. Each replica first applies what its IO thread already fetched (its relay log), up to `applyTimeoutMs`,
 * so the choice compares what the replicas hold, not how far their SQL threads got. `prefer` names the replica
 * to promote when several are level; a preferred one behind another is refused, as promoting it would drop the
 * transactions only the other has. The old primary must be down (or read_only): nothing here fences it.
 */
export async function promoteMostAdvanced(
  replicas: readonly MariaDbNode[],
  { domain = 0, prefer, applyTimeoutMs = 10_000 }: { domain?: number; prefer?: MariaDbNode; applyTimeoutMs?: number } = {},
): Promise<Promotion> {
  const statuses = await Promise.all(replicas.map((node) => replicationStatus(node).catch(() => null)));
  const reachable = replicas.filter((_, i) => statuses[i] !== null);
  if (reachable.length === 0) throw new Error(`no replica answers: ${replicas.map((n) => n.name).join(', ')}`);
  // Nothing new arrives from here on (the old primary is gone); what each fetched gets applied.
  await Promise.all(reachable.map((node) => sql(node, 'STOP SLAVE IO_THREAD')));
  await Promise.all(reachable.map((node) => appliedRelayLog(node, applyTimeoutMs)));
  const candidates = await Promise.all(reachable.map(async (node) => ({ node, position: (await sqlValue(node, 'SELECT @@gtid_slave_pos')) ?? '' })));
  const best = Math.max(...candidates.map((c) => sequenceIn(c.position, domain)));
  const chosen = prefer ? candidates.find((c) => c.node.name === prefer.name) : candidates.find((c) => sequenceIn(c.position, domain) === best);
  if (!chosen) throw new Error(`${prefer?.name} is not a reachable replica`);
  if (sequenceIn(chosen.position, domain) < best) {
    const ahead = candidates.filter((c) => sequenceIn(c.position, domain) === best).map((c) => `${c.node.name} (${c.position})`);
    throw new PromotionWouldLoseTransactionsError(`${chosen.node.name} has applied ${chosen.position}, behind ${ahead.join(', ')}: promoting it would lose their transactions`);
  }
  await sql(chosen.node, 'STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = OFF');
  const others = candidates.filter((c) => c !== chosen).map((c) => c.node);
  for (const node of others) await replicateFrom(node, chosen.node);
  return {
    promoted: chosen.node.name,
    position: (await sqlValue(chosen.node, 'SELECT @@gtid_binlog_pos')) ?? '',
    candidates: candidates.map((c) => ({ node: c.node.name, position: c.position })),
    repointed: others.map((n) => n.name),
    unreachable: replicas.filter((n) => !reachable.includes(n)).map((n) => n.name),
  };
}

/** Waits until the replica's SQL thread has applied everything its IO thread fetched (or its thread stopped on an error). */
async function appliedRelayLog(node: MariaDbNode, timeoutMs: number): Promise<void> {
  await waitFor(
    `${node.name} to apply its relay log`,
    async () => {
      const status = await replicationStatus(node);
      return status.sqlRunning !== 'Yes' || holdsAll(status.gtidSlavePos, status.gtidIoPos);
    },
    { timeoutMs, intervalMs: 50 },
  );
}

/** `applied` has reached, in every domain, the sequence number `fetched` holds there. */
const holdsAll = (applied: string, fetched: string): boolean =>
  [...gtidsByDomain(fetched)].every(([domain, { seq }]) => sequenceIn(applied, domain) >= seq);

/** The old primary holds transactions the new primary never received: it cannot replicate until rebuilt. */
export class ErrantTransactionsError extends Error {}

/**
 * Makes a former primary, back after a failover, a read_only replica of `primary`. Its own writes are in its
 * binlog, not its gtid_slave_pos, so it replicates from its binlog position. Under gtid_strict_mode, a write it
 * committed that never reached the new primary makes the new primary refuse it (1236): that is thrown as
 * ErrantTransactionsError, and the node must be rebuilt from the new primary (its extra writes are lost).
 */
export async function rejoinAsReplica(formerPrimary: MariaDbNode, primary: MariaDbNode, timeoutMs = 15_000): Promise<void> {
  await sql(formerPrimary, 'SET GLOBAL read_only = ON; STOP SLAVE; SET GLOBAL gtid_slave_pos = @@gtid_binlog_pos');
  await replicateFrom(formerPrimary, primary);
  let refused: ReplicationStatus | undefined;
  await waitFor(
    `${formerPrimary.name} to replicate from ${primary.name}`,
    async () => {
      const status = await replicationStatus(formerPrimary);
      if (status.lastIoErrno === 1236) refused = status;
      return refused !== undefined || isReplicating(status);
    },
    { timeoutMs, intervalMs: 100 },
  );
  if (refused) throw new ErrantTransactionsError(`${formerPrimary.name} holds transactions ${primary.name} never received: ${refused.lastIoError}`);
}
