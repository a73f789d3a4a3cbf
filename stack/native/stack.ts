import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EVERY_SERVICE, hostsFile, namespaceOf, PUBLIC_HOSTNAME, REDIS_MASTER_NAME, REPLICAS_NAME, runsGalera, runsMariaDb, runsPostgres, service, SERVICES, servicesOf, ServiceSpec, STACK_INDEX } from '../topology';
import { daemonPid, inNamespace, killAndWait, logTail, startDaemon, stopDaemon } from './daemons';
import { claimIndex, heldElsewhereMessage, indexHolder, releaseIndex } from './index-claim';
import { ensureBridge, ensureNamespace, listNamespaces, namespaceExists, namespacePids, removeBridge, removeNamespace } from './netns';
import { paths, REPO_ROOT, STACK_DIR } from './paths';
import { holdsLeaderKey, isInitialised, isLeaderRole, isNodeHealthy, patroniState, prepareNode, withSuperuser } from './postgres';
import { backup, BackupSet, BackupType, createStanza, removeRestoreNode, RESTORE_NODE, restoreData } from './backups';
import { appEnv, redisCommand, runners, sentinelConfOf } from './services';
import { MARIADB_STACK_PACKAGES, mariaDbNodeStatus, startMariaDbDatabase, startMariaDbDatabaseNode } from './mariadb-stack';
import { socketOf } from './mariadb';
import { GALERA_STACK_PACKAGES, galeraMemberStatus, startGaleraDatabase, startGaleraMember } from './galera-stack';
import { databaseForUp, recordState, requestedDialect, requestedTopology, StackDatabase, stackDialect, stackState, stackTopology } from './stack-state';

export { redisMaster } from './services';
import { CommandError, run, StopWaiting, waitFor } from './shell';
import { missingPackages, REQUIRED_PACKAGES } from './packages';

export { missingPackages, REQUIRED_PACKAGES };

export type Progress = (line: string) => void;

/**
 * The services of the stack's dialect and topology (stack-state.ts): SERVICES on PostgreSQL, MARIADB_SERVICES on
 * MariaDB, GALERA_SERVICES on Galera.
 */
export const stackServices = (): readonly ServiceSpec[] => servicesOf(stackDialect(), stackTopology());
/** One of stackServices(), by name. */
export const stackService = (name: string): ServiceSpec => service(name, stackServices());
/** A service of this stack, else of any other (`down` stops what another dialect or topology left running). */
const anyService = (name: string): ServiceSpec => stackServices().find((s) => s.name === name) ?? service(name, EVERY_SERVICE);
const defaultServices = () => stackServices().filter((s) => !s.optional);
const replicaNames = () => defaultServices().filter((s) => s.kind === 'postgres-replica' || s.kind === 'mariadb-replica').map((s) => s.name);
/** The nodes that clone the leader when a cluster starts: the replicas and the analytics replica. */
const standbyNames = () => defaultServices().filter((s) => s.kind === 'postgres-replica' || s.kind === 'postgres-analytics').map((s) => s.name);

/**
 * What the tests need beyond the stack: Chromium (the status page's browser test), Prometheus (the optional
 * service's test), MariaDB (the second dialect's harnesses in test/mariadb, which start their own servers), and
 * for the Galera harness the provider and rsync, its state transfer (galera.ts's GALERA_PACKAGES).
 */
export const TEST_PACKAGES: Record<string, string> = {
  '/usr/bin/chromium': 'chromium',
  '/usr/bin/prometheus': 'prometheus',
  '/usr/sbin/mariadbd': 'mariadb-server',
  '/usr/lib/galera/libgalera_smm.so': 'galera-4',
  '/usr/bin/rsync': 'rsync',
};

/** Optional services' packages, by kind: setup does not install them; starting the service names them. */
const OPTIONAL_PACKAGES: Partial<Record<ServiceSpec['kind'], Record<string, string>>> = {
  prometheus: { '/usr/bin/prometheus': 'prometheus' },
};

function assertPrerequisites({ dialect, topology }: StackDatabase): void {
  const packages = dialect === 'postgres' ? REQUIRED_PACKAGES : topology === 'galera' ? GALERA_STACK_PACKAGES : MARIADB_STACK_PACKAGES;
  const missing = missingPackages(packages);
  if (missing.length > 0) {
    throw new Error(`missing Debian packages: ${missing.join(' ')}\n  install them with: apt-get install -y ${missing.join(' ')}`);
  }
  if (process.getuid?.() !== 0) throw new Error('the native stack creates network namespaces: run it as root');
}

/**
 * The stack's DNS records. `db-replicas` resolves to the default replicas and the optional ones that run,
 * plus `adding`, minus `removing` (about to start or stop).
 */
function writeDnsRecords({ adding = [] as string[], removing = [] as string[] } = {}): void {
  const optionalRunning = stackServices().filter((s) => s.optional && daemonPid(s.name)).map((s) => s.name);
  const running = new Set([...replicaNames(), ...adding, ...optionalRunning].filter((name) => !removing.includes(name)));
  const records = stackServices().filter((s) => !s.optional || running.has(s.name)).map((s) =>
    s.aliases?.includes(REPLICAS_NAME) && !running.has(s.name) ? { ...s, aliases: s.aliases.filter((a) => a !== REPLICAS_NAME) } : s,
  );
  mkdirSync(dirname(paths.dnsHosts), { recursive: true });
  writeFileSync(paths.dnsHosts, hostsFile(records));
  const dnsPid = daemonPid('dns');
  if (dnsPid) process.kill(dnsPid, 'SIGHUP'); // dnsmasq re-reads --addn-hosts on SIGHUP
}

/** Waits for `what` of a service; when it does not come, the error ends with the service's log. */
async function waitForService<T>(name: string, what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  try {
    return await waitFor(what, probe, { timeoutMs: 60_000 });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${logTail(name)}`, { cause: error });
  }
}

async function startService(spec: ServiceSpec, progress: Progress): Promise<void> {
  const runner = runners[spec.kind];
  if (!runner) throw new Error(`${spec.name} is not a long-running service`);
  const started = Date.now();
  if (daemonPid(spec.name) === null) {
    ensureNamespace(spec);
    if (spec.kind.startsWith('redis') || spec.kind === 'etcd' || spec.kind === 'prometheus') mkdirSync(paths.data(spec.name), { recursive: true });
    if (spec.kind.startsWith('postgres')) prepareNode(spec.name);
    startDaemon(spec.name, await runner.command(spec), {
      user: runner.user,
      mountStackDir: runner.mountStackDir,
      env: runner.env?.(spec) ?? process.env,
      cwd: REPO_ROOT,
    });
  }
  await waitForService(spec.name, `${spec.name} to be healthy (log: ${paths.log(spec.name)})`, async () => {
    if (daemonPid(spec.name) === null) throw new StopWaiting(`${spec.name} exited while starting`);
    return runner.healthy(spec);
  });
  progress(`  ✔ ${spec.name.padEnd(13)} healthy   ${spec.address}${spec.port ? `:${spec.port}` : ''}  (${Date.now() - started} ms)`);
}

/**
 * etcd, then Patroni on every node. On a new cluster db-primary starts alone and becomes the leader (initdb,
 * roles, database); the replicas then clone it. An existing cluster keeps whichever leader it has.
 */
async function startDatabase(progress: Progress): Promise<void> {
  await startService(service('etcd'), progress);
  const newCluster = !isInitialised('db-primary');
  if (newCluster) {
    progress('  · db-primary    initialising the cluster (Patroni: initdb, then leader)');
    await startService(service('db-primary'), progress);
    // The replicas clone it once its bootstrap is over: had it failed, they would hold a cluster without the app's database.
    await waitForService('db-primary', 'db-primary to hold the leader key (its bootstrap done)', () => holdsLeaderKey('db-primary'));
  }
  await Promise.all([
    ...['db-primary', ...standbyNames()].map(async (name) => {
      if (!isInitialised(name)) progress(`  · ${name.padEnd(13)} cloning the leader (Patroni: pg_basebackup)`);
      await startService(service(name), progress);
    }),
    // A new cluster's primary is db-primary, up already: the stanza is made while the replicas clone it.
    ...(newCluster ? [ensureStanza(progress)] : []),
  ]);
  // An existing cluster's primary may be any node: once they all run.
  if (!newCluster) await ensureStanza(progress);
}

/** pgBackRest's stanza, so that the primary's archive_command succeeds from now on (docs/backups.md). */
async function ensureStanza(progress: Progress): Promise<void> {
  const started = Date.now();
  await createStanza();
  progress(`  ✔ backup        stanza ready, WAL archiving on   ${paths.backupRepository}  (${Date.now() - started} ms)`);
}

/**
 * The Redis master first (the Sentinels monitor it by name), then its replica and the three Sentinels: healthy
 * once the replica's link is up and each Sentinel sees a quorum (they find each other through the master).
 */
async function startRedis(progress: Progress): Promise<void> {
  await startService(service('redis'), progress);
  await Promise.all(defaultServices().filter((s) => s.kind === 'redis-replica' || s.kind === 'redis-sentinel').map((s) => startService(s, progress)));
}

/** The one-shot `migrate` job, in its own namespace like the compose service. */
export function runMigrate(progress: Progress): void {
  ensureNamespace(service('migrate'));
  const started = Date.now();
  mkdirSync(dirname(paths.log('migrate')), { recursive: true });
  try {
    const output = run(inNamespace('migrate', [process.execPath, paths.migrateMain]), { env: appEnv('migrate'), cwd: REPO_ROOT });
    writeFileSync(paths.log('migrate'), output, { flag: 'a' });
  } catch (error) {
    if (error instanceof CommandError) writeFileSync(paths.log('migrate'), error.output, { flag: 'a' });
    throw error; // its message ends with the job's output
  }
  progress(`  ✔ migrate       completed (${Date.now() - started} ms)`);
}

export interface UpOptions {
  build?: boolean;
  progress?: Progress;
  /** The database: DB_DIALECT's by default, else the one the stack recorded, else PostgreSQL (databaseForUp). */
  dialect?: StackDatabase['dialect'];
  /** How its nodes replicate: DB_TOPOLOGY's by default (databaseForUp). */
  topology?: StackDatabase['topology'];
}

/**
 * Starts every service of the topology and waits until each is healthy; does nothing for those already up.
 * Refuses, starting nothing, a dialect or topology other than the running stack's.
 */
export async function up({ build = true, progress = console.log, dialect: askedDialect = requestedDialect(), topology: askedTopology = requestedTopology() }: UpOptions = {}): Promise<void> {
  const database = databaseForUp({ dialect: askedDialect, topology: askedTopology });
  const { dialect, topology } = database;
  assertPrerequisites(database);
  claimIndex();
  if (stackDialect() !== dialect || stackTopology() !== topology) recordState({ ...stackState(), dialect, topology });
  const started = Date.now();
  progress(`native stack in ${STACK_DIR}${dialect === 'mariadb' ? (topology === 'galera' ? ' (MariaDB, Galera)' : ' (MariaDB)') : ''}`);
  if (build) {
    progress('  · building the app (npm run build)');
    run(['npm', 'run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  ensureBridge();
  for (const spec of defaultServices()) ensureNamespace(spec);
  writeDnsRecords();
  await startService(service('dns'), progress);
  const startDatabaseNodes = dialect === 'postgres' ? startDatabase : topology === 'galera' ? startGaleraDatabase : startMariaDbDatabase;
  await Promise.all([startDatabaseNodes(progress), startRedis(progress)]);
  runMigrate(progress);
  await Promise.all([startService(service('app-1'), progress), startService(service('app-2'), progress)]);
  await startService(service('lb'), progress);
  writeEndpoints();
  progress(`stack is up in ${((Date.now() - started) / 1000).toFixed(1)} s: curl through the client with\n` +
    `  npm run stack -- exec client curl -s 'http://${PUBLIC_HOSTNAME}/api/articles?limit=1'`);
}

/** Starts one service (also an optional one such as db-replica-3, cloned on first start). */
export async function start(name: string, progress: Progress = console.log): Promise<void> {
  const spec = stackService(name);
  if (spec.kind === 'job') return runMigrate(progress);
  const missing = missingPackages(OPTIONAL_PACKAGES[spec.kind] ?? {});
  if (missing.length > 0) throw new Error(`${name} needs Debian packages: apt-get install -y ${missing.join(' ')}`);
  claimIndex();
  if (runsGalera(spec)) await startGaleraMember(name, progress);
  else if (runsMariaDb(spec)) await startMariaDbDatabaseNode(name, progress);
  else await startService(spec, progress);
  if (spec.optional) writeDnsRecords({ adding: [name] });
  writeEndpoints();
}

/**
 * Stops one service: gracefully by its pid, or `hard` — SIGKILL to every process in its namespace at once,
 * as when the machine under it dies (for a database node: Patroni and PostgreSQL together).
 */
export async function stop(name: string, { hard = false } = {}): Promise<boolean> {
  const holder = indexHolder();
  if (holder.by === 'another checkout') throw new Error(heldElsewhereMessage(holder, STACK_INDEX));
  return stopService(name, { hard });
}

async function stopService(name: string, { hard = false } = {}): Promise<boolean> {
  const spec = anyService(name);
  if (spec.optional) writeDnsRecords({ removing: [name] }); // drain: leave DNS first
  if (!hard) return stopDaemon(name, runners[spec.kind]?.stopSignal ?? 'SIGTERM', 60_000);
  const running = daemonPid(name) !== null;
  if (namespaceExists(name)) await Promise.all(namespacePids(namespaceOf(name)).map((pid) => killAndWait(pid, 'SIGKILL', 5000)));
  await stopDaemon(name, 'SIGKILL');
  return running;
}

/**
 * Stops everything the stack started (by pid, then whatever is left in its namespaces, e.g. after a
 * crash) and removes the namespaces and the bridge. `volumes` also deletes the data, as `compose down -v`.
 * While another checkout's stack holds the index, only this checkout's files are touched: that stack's
 * servers run in the same namespaces. One whose checkout no longer exists is stopped: nobody else can.
 */
export async function down({ volumes = false, progress = console.log }: { volumes?: boolean; progress?: Progress } = {}): Promise<void> {
  const holder = indexHolder();
  const heldElsewhere = holder.by === 'another checkout' && !holder.gone;
  if (heldElsewhere) {
    progress(heldElsewhereMessage(holder, STACK_INDEX));
  } else {
    if (holder.by === 'another checkout') progress(`stopping the stack of ${holder.checkout}, a checkout that no longer exists`);
    // This stack's services in reverse order (on Galera mariadb-galera-1 leaves last, so it starts the cluster
    // again: restartGaleraCluster), then whatever another dialect or topology left running.
    const stackNames = stackServices().map((s) => s.name);
    for (const name of [...stackNames.reverse(), ...EVERY_SERVICE.map((s) => s.name).filter((n) => !stackNames.includes(n)).reverse()]) {
      if (await stopService(name).catch(() => false)) progress(`  ✔ ${name} stopped`);
    }
    for (const ns of listNamespaces()) {
      for (const pid of namespacePids(ns)) await killAndWait(pid, 'SIGKILL', 5000);
      removeNamespace(ns);
    }
    // Redis keeps no data across a restart of the stack: the Sentinels start again from the template's master.
    for (const spec of SERVICES.filter((s) => s.kind === 'redis-sentinel')) rmSync(sentinelConfOf(spec), { force: true });
    removeBridge();
    releaseIndex();
  }
  rmSync(paths.endpoints, { force: true });
  if (volumes) rmSync(STACK_DIR, { recursive: true, force: true });
  if (volumes) progress(heldElsewhere ? `this checkout's stack data deleted (${STACK_DIR})` : 'stack removed (data deleted)');
  else if (!heldElsewhere) progress(`stack stopped (data kept in ${STACK_DIR}/data; \`down --volumes\` deletes it)`);
}

/** patronictl, run on a database node that is up (it reaches etcd through the stack's DNS). */
export function patronictl(args: string[]): string {
  const node = SERVICES.find((s) => s.kind.startsWith('postgres') && daemonPid(s.name) !== null);
  if (!node) throw new Error('no database node is running');
  return run(inNamespace(node.name, ['patronictl', '-c', paths.patroniConfig(node.name), ...args]));
}

/**
 * Pauses WAL replay on replicas, deterministically. Patroni resumes a paused replay within a loop (PostgreSQL
 * 14+ pauses it on some parameter changes), unless the cluster is in maintenance mode: so pause Patroni first.
 */
export async function pauseReplay(...replicas: string[]): Promise<void> {
  patronictl(['pause', '--wait']);
  await Promise.all(replicas.map((r) => withSuperuser(r, (db) => db.query('SELECT pg_wal_replay_pause()'))));
}

export async function resumeReplay(...replicas: string[]): Promise<void> {
  await Promise.all(replicas.map((r) => withSuperuser(r, (db) => db.query('SELECT pg_wal_replay_resume()'))));
  patronictl(['resume', '--wait']);
}

/**
 * Makes every running replica apply WAL `delay` behind the primary (`recovery_min_apply_delay`: '500ms', or '0'
 * for none) and returns once that holds. Through Patroni's dynamic configuration: Patroni strips recovery settings
 * an ALTER SYSTEM puts in postgresql.auto.conf, so such a delay would come and go. A delay holds when a row
 * written on the primary is still missing on every replica 100 ms later; no delay holds when every replica
 * reports 0 and has replayed the primary's position.
 */
export async function setReplayDelay(delay: string, timeoutMs = 30_000): Promise<void> {
  const primary = await leader();
  if (!primary) throw new Error('no primary: the cluster has no leader');
  const replicas = SERVICES.filter((s) => s.kind.startsWith('postgres') && s.name !== primary && daemonPid(s.name) !== null).map((s) => s.name);
  const onNode = async <T>(name: string, sql: string, params: unknown[] = []) => withSuperuser(name, async (db) => (await db.query(sql, params)).rows as T[], 'app');
  patronictl(['edit-config', '--force', '-p', `recovery_min_apply_delay=${delay}`]);
  if (delay === '0') {
    await waitFor('no apply delay on any replica', async () => {
      const settings = await Promise.all(replicas.map((r) => onNode<{ delay: string }>(r, "SELECT current_setting('recovery_min_apply_delay') AS delay")));
      if (!settings.every(([row]) => row.delay === '0')) return false;
      const [{ lsn }] = await onNode<{ lsn: string }>(primary, 'SELECT pg_current_wal_lsn()::text AS lsn');
      const replayed = await Promise.all(replicas.map((r) => onNode<{ done: boolean }>(r, 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn])));
      return replayed.every(([row]) => row.done);
    }, { timeoutMs, intervalMs: 100 });
    return;
  }
  await onNode(primary, 'CREATE TABLE IF NOT EXISTS delay_probe (n bigint)');
  await waitFor(`a ${delay} apply delay on ${replicas.join(' and ')}`, async () => {
    const n = Date.now();
    await onNode(primary, 'INSERT INTO delay_probe VALUES ($1)', [n]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const seen = await Promise.all(replicas.map((r) => onNode(r, 'SELECT 1 FROM delay_probe WHERE n = $1', [n])));
    return seen.every((rows) => rows.length === 0);
  }, { timeoutMs, intervalMs: 100 });
}

/**
 * A planned Redis failover to `candidate` (the stack's other Redis node): a Sentinel promotes it and makes the
 * master its replica. Returns once every Sentinel names it and both nodes are healthy (the old master
 * replicating from it).
 */
export async function redisFailover(candidate: string): Promise<void> {
  const [asked, ...others] = SERVICES.filter((s) => s.kind === 'redis-sentinel');
  const nodes = SERVICES.filter((s) => s.kind === 'redis' || s.kind === 'redis-replica');
  const nodesHealthy = async () => (await Promise.all(nodes.map((n) => runners[n.kind].healthy(n).catch(() => false)))).every(Boolean);
  const masterFor = async (sentinel: ServiceSpec) => {
    const reply = await redisCommand(sentinel, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', REDIS_MASTER_NAME]).catch(() => undefined);
    return Array.isArray(reply) ? String(reply[0]) : undefined;
  };
  const deadline = Date.now() + 60_000;
  for (let reply = ''; (await masterFor(asked)) !== candidate; ) {
    if (Date.now() > deadline) throw new Error(`${candidate} not promoted within 60 s (the Sentinel's last answer: ${reply})`);
    // The candidate a replica in sync first: Sentinel refuses a failover without a good replica.
    await waitFor(`every Redis node healthy before the failover to ${candidate}`, nodesHealthy, { timeoutMs: 30_000 });
    reply = await redisCommand(asked, ['SENTINEL', 'FAILOVER', REDIS_MASTER_NAME]).then(String, (error: Error) => error.message);
    // -INPROG (one runs) or -NOGOODSLAVE (the Sentinels have not seen the candidate in sync yet: they look at
    // replicas every 10 s): ask again shortly.
    if (reply !== 'OK') await new Promise((resolve) => setTimeout(resolve, 1000));
    else await waitFor(`${candidate} promoted`, async () => (await masterFor(asked)) === candidate, { timeoutMs: 20_000 }).catch(() => undefined);
  }
  await waitFor(`every Sentinel to name ${candidate}`, async () => (await Promise.all(others.map(masterFor))).every((name) => name === candidate), { timeoutMs: 30_000 });
  // What the Sentinels would do to the old master some 10 s later (+convert-to-slave), at once.
  for (const node of nodes.filter((n) => n.name !== candidate && daemonPid(n.name) !== null)) {
    if (/^role:master\r?$/m.test(String(await redisCommand(node, ['INFO', 'replication'])))) await redisCommand(node, ['REPLICAOF', candidate, String(service(candidate).port)]);
  }
  await waitFor('every Redis node healthy after the failover', nodesHealthy, { timeoutMs: 30_000 });
}

/** Which node leads now, as Patroni sees it. */
export async function leader(): Promise<string | undefined> {
  for (const spec of SERVICES.filter((s) => s.kind.startsWith('postgres') && daemonPid(s.name) !== null)) {
    if (isLeaderRole((await patroniState(spec.name))?.role)) return spec.name;
  }
  return undefined;
}

/**
 * A planned switchover to `candidate`: Patroni stops writes on the leader, promotes the candidate. Patroni
 * ignores a request whose candidate is not a healthy replica yet (e.g. just demoted), so wait for that first,
 * and ask again if the leader did not change.
 */
export async function switchover(candidate: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = await leader();
    if (current === candidate) return;
    if (!current) throw new Error('no leader to switch over from');
    // Every replica streaming first: one still catching up on the old leader's timeline would be stranded,
    // needing WAL the new leader never had.
    const members = SERVICES.filter((s) => s.kind.startsWith('postgres') && daemonPid(s.name) !== null).map((s) => s.name);
    await waitFor('every replica to stream', async () => (await Promise.all(members.map((m) => isNodeHealthy(m).catch(() => false)))).every(Boolean), {
      timeoutMs: 60_000,
    });
    patronictl(['switchover', '--leader', current, '--candidate', candidate, '--force']);
    try {
      await waitFor(`${candidate} to lead`, async () => isLeaderRole((await patroniState(candidate))?.role), { timeoutMs: 20_000 });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** `npm run stack -- backup`: a backup taken from a standby (pgBackRest's `backup-standby`). */
export async function takeBackup(type?: BackupType): Promise<BackupSet> {
  claimIndex();
  // pgBackRest refuses a primary whose pg_control still names the timeline before its promotion ("WAL timeline 2
  // does not match pg_control timeline 1"): a new primary updates it at its first checkpoint, which PostgreSQL
  // runs in the background after a failover. A checkpoint now costs little (the backup starts with one anyway).
  const primary = await leader();
  if (primary) await withSuperuser(primary, (db) => db.query('CHECKPOINT'));
  return backup(type);
}

/**
 * `npm run stack -- restore --to <time>`: the newest backup before that time, replayed to it, in db-restore, a
 * server of its own that is no member of the cluster and never in `db-replicas`. A scratch node from an earlier
 * restore is removed first.
 */
export async function restore(to: string, progress: Progress = console.log): Promise<void> {
  claimIndex();
  await removeRestoreNode((name) => stopService(name));
  const started = Date.now();
  // Recovery to a time stops at the first commit after it; with none in the archive (an idle cluster, or a time
  // after the last write) PostgreSQL ends with "recovery ended before configured recovery target was reached". A
  // transaction of our own, now, is that commit (restoreData then has the primary archive its current WAL).
  const primary = await leader();
  if (primary) await withSuperuser(primary, (db) => db.query('SELECT txid_current()'));
  await restoreData(to, progress);
  progress(`  ✔ ${RESTORE_NODE.padEnd(13)} data restored to ${to}  (${Date.now() - started} ms)`);
  await startService(service(RESTORE_NODE), progress);
  writeDnsRecords();
  writeEndpoints();
}

/** Removes the scratch node: stopped, its data deleted, its namespace gone. */
export async function removeRestore(): Promise<void> {
  await removeRestoreNode((name) => stopService(name));
  removeNamespace(namespaceOf(RESTORE_NODE));
  writeDnsRecords({ removing: [RESTORE_NODE] });
  writeEndpoints();
}

export interface ServiceStatus {
  name: string;
  address: string;
  pid: number | null;
  healthy: boolean;
  /**
   * Database nodes: the role Patroni gives the node now (on MariaDB, primary or replica; on Galera, the member's state,
   * e.g. Synced); Redis nodes: master or replica (roles move on failover).
   */
  role?: string;
}

async function redisRole(spec: ServiceSpec): Promise<string | undefined> {
  const info = String(await redisCommand(spec, ['INFO', 'replication']).catch(() => ''));
  const role = /^role:(\w+)/m.exec(info)?.[1];
  return role === 'slave' ? 'replica' : role;
}

export async function status(): Promise<ServiceStatus[]> {
  return Promise.all(
    stackServices().filter((s) => (runners[s.kind] || runsMariaDb(s)) && (!s.optional || daemonPid(s.name))).map(async (spec) => {
      const pid = daemonPid(spec.name);
      if (runsGalera(spec)) return { name: spec.name, address: spec.address, pid, ...(await galeraMemberStatus(spec)) };
      if (runsMariaDb(spec)) return { name: spec.name, address: spec.address, pid, ...(await mariaDbNodeStatus(spec)) };
      const healthy = pid !== null && (await runners[spec.kind].healthy(spec).catch(() => false));
      const role =
        spec.kind === 'restored-postgres' ? 'restored' : spec.kind.startsWith('postgres') && pid !== null ? (await patroniState(spec.name))?.role : undefined;
      if (spec.kind === 'redis' || spec.kind === 'redis-replica') return { name: spec.name, address: spec.address, pid, healthy, role: pid === null ? undefined : await redisRole(spec) };
      return { name: spec.name, address: spec.address, pid, healthy, role: role && (isLeaderRole(role) ? 'primary' : role) };
    }),
  );
}

/** How to reach each service from this machine; the contract scripts and tests read. */
export function writeEndpoints(): void {
  const services = Object.fromEntries(
    stackServices().filter((s) => !s.optional || daemonPid(s.name)).map((s) => [
      s.name,
      {
        address: s.address,
        port: s.port,
        // This machine sits on the stack bridge, so every service is reachable without entering a namespace.
        namespace: null,
        ownNamespace: namespaceOf(s.name),
        hostnames: [s.name, ...(s.aliases ?? [])],
        ...(runsPostgres(s) ? { socketDir: paths.socketDir(s.name) } : {}),
        // root's login on a MariaDB node: `mariadb --socket=<socket> -u root`.
        ...(runsMariaDb(s) ? { socket: socketOf(s.name) } : {}),
      },
    ]),
  );
  const endpoints = {
    publicHostname: PUBLIC_HOSTNAME,
    publicUrl: `http://${PUBLIC_HOSTNAME}`,
    dns: { address: service('dns').address, port: 53 },
    client: { namespace: namespaceOf('client') },
    services,
    /** Added with the MariaDB stack: which database the db-* services run, `postgres` or `mariadb`. */
    dialect: stackDialect(),
    /** Added with the stack on Galera: `primary-replicas` (db-primary, db-replicas) or `galera` (mariadb-galera-1..3). */
    topology: stackTopology(),
  };
  mkdirSync(STACK_DIR, { recursive: true });
  writeFileSync(paths.endpoints, JSON.stringify(endpoints, null, 2) + '\n');
}

