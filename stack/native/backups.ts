import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { service, SERVICES } from '../topology';
import { daemonPid, inNamespaceThroughMount } from './daemons';
import { ensureNamespace } from './netns';
import { MACHINE_DIR, mkdirThroughMount, paths, STACK_DIR_MOUNT, throughMount } from './paths';
import { ownedByPostgres, PG_USER, withSuperuser } from './postgres';
import { CommandError, runAsync } from './shell';

/**
 * Backups with pgBackRest (docs/backups.md), natively. The primary archives its WAL into the repository (Patroni
 * sets archive_command, stack/patroni/patroni.yml); full and incremental backups copy the data files from a
 * standby (`backup-standby`), asking the primary only to start and stop the backup; a restore replays the archive
 * into `db-restore`, a scratch server outside the cluster.
 *
 * One configuration reaches every node by its data and socket directories (pgX-path, pgX-socket-path): unix
 * sockets work across network namespaces, so no SSH and no pgBackRest server. Every path in it is as the
 * servers see STACK_DIR (through the mount), since archive-push runs inside PostgreSQL; the commands run here go
 * through the same mount.
 */

/** The stanza: pgBackRest's name for the cluster, Patroni's scope, and what patroni.yml's archive_command names. */
export const STANZA = 'nest-replica-starter';

/** Where backup and restore commands run: the `backup` service's namespace. */
const BACKUP_SERVICE = 'backup';
export const RESTORE_NODE = 'db-restore';

/**
 * The cluster's nodes pgBackRest may find running: the default ones and any optional replica that runs. Not
 * db-analytics: a backup waits for its standby to replay up to the backup's start, and db-analytics' replay may
 * wait for a report (docs/analytics.md).
 */
const clusterNodes = () =>
  SERVICES.filter((s) => (s.kind === 'postgres-primary' || s.kind === 'postgres-replica') && (!s.optional || daemonPid(s.name) !== null)).map((s) => s.name);

/**
 * pgBackRest's configuration for this stack: one repository (a directory), every cluster node by path and socket.
 * Which node is the primary and which are standbys pgBackRest asks each of them, so a failover changes nothing here.
 */
export function pgbackrestConfig(nodes: string[]): string {
  const global = {
    'repo1-path': throughMount(paths.backupRepository),
    // Two full backups and the incrementals and WAL they need; older ones expire after each backup.
    'repo1-retention-full': '2',
    'log-path': throughMount(paths.pgbackrestLogs),
    // Per stack: the default /tmp/pgbackrest would be shared by every stack on the machine.
    'lock-path': throughMount(paths.pgbackrestLocks),
    // Copy the data files from a standby: the primary only starts and stops the backup.
    'backup-standby': 'y',
    // An immediate checkpoint on the primary when a backup starts, rather than waiting for the next one.
    'start-fast': 'y',
    // lz4: cheap on CPU, which this 2-core machine shares with the whole stack.
    'compress-type': 'lz4',
    'log-level-console': 'info',
  };
  const stanza = Object.fromEntries(
    nodes.flatMap((node, i) => [
      [`pg${i + 1}-path`, throughMount(paths.data(node))],
      [`pg${i + 1}-socket-path`, throughMount(paths.socketDir(node))],
    ]),
  );
  const section = (name: string, values: Record<string, string>) =>
    `[${name}]\n${Object.entries(values).map(([key, value]) => `${key}=${value}`).join('\n')}\n`;
  return `# Written by the native stack (stack/native/backups.ts); docs/backups.md.\n${section('global', global)}\n${section(STANZA, stanza)}`;
}

/** Writes the configuration for the nodes that may run now; by rename, since archive-push may be reading it. */
function writeConfig(): void {
  mkdirThroughMount(dirname(paths.pgbackrestConfig));
  const next = `${paths.pgbackrestConfig}.${process.pid}`;
  writeFileSync(next, pgbackrestConfig(clusterNodes()));
  chmodSync(next, 0o644);
  renameSync(next, paths.pgbackrestConfig);
}

/** The repository, logs and locks, owned by postgres: archive-push runs as PostgreSQL's user. */
export function prepareRepository(): void {
  ownedByPostgres(paths.backupRepository, 0o750);
  ownedByPostgres(paths.pgbackrestLogs, 0o750);
  ownedByPostgres(paths.pgbackrestLocks, 0o750);
  writeConfig();
}

/** Runs pgBackRest as postgres in the `backup` namespace, through the mount of STACK_DIR; resolves with its output. */
export function pgbackrest(args: string[]): Promise<string> {
  for (const dir of [MACHINE_DIR, STACK_DIR_MOUNT]) mkdirSync(dir, { recursive: true });
  ensureNamespace(service(BACKUP_SERVICE));
  writeConfig();
  const command = ['pgbackrest', `--config=${throughMount(paths.pgbackrestConfig)}`, `--stanza=${STANZA}`, ...args];
  return runAsync(inNamespaceThroughMount(BACKUP_SERVICE, command, PG_USER), { PATH: process.env.PATH, LANG: 'C.UTF-8' });
}

/**
 * The stanza, created once the primary runs (`up` does this; it is quick, and a no-op when it exists). Until it
 * exists the primary's archive_command fails and PostgreSQL keeps the WAL and tries again.
 */
export async function createStanza(): Promise<void> {
  prepareRepository();
  await pgbackrest(['stanza-create']);
}

export type BackupType = 'full' | 'diff' | 'incr';

export interface BackupSet {
  label: string;
  type: BackupType;
  /** pgBackRest's manifest says the files were copied from a standby (`option-backup-standby=true`). */
  fromStandby: boolean;
  /** PostgreSQL's size and what the repository holds for this set, in bytes. */
  databaseBytes: number;
  repositoryBytes: number;
  startedAt: Date;
  stoppedAt: Date;
}

interface InfoJson {
  backup: {
    label: string;
    type: BackupType;
    info: { size: number; repository: { delta: number } };
    timestamp: { start: number; stop: number };
  }[];
}

/** Every backup set in the repository, oldest first, with where its files were copied from. */
export async function backupSets(): Promise<BackupSet[]> {
  const [stanza] = JSON.parse(await pgbackrest(['info', '--output=json', '--log-level-console=warn'])) as InfoJson[];
  return Promise.all(
    (stanza?.backup ?? []).map(async (set) => {
      // `info` does not say where a backup was taken; the set's manifest records the option it ran with.
      const manifest = await pgbackrest(['repo-get', `backup/${STANZA}/${set.label}/backup.manifest`, '--log-level-console=warn']);
      return {
        label: set.label,
        type: set.type,
        fromStandby: /^option-backup-standby=true$/m.test(manifest),
        databaseBytes: set.info.size,
        repositoryBytes: set.info.repository.delta,
        startedAt: new Date(set.timestamp.start * 1000),
        stoppedAt: new Date(set.timestamp.stop * 1000),
      };
    }),
  );
}

/** Takes a backup from a standby: `full`, or `incr`/`diff` on top of the last one (pgBackRest makes the first one full). */
export async function backup(type: BackupType = 'incr'): Promise<BackupSet> {
  prepareRepository();
  await pgbackrest(['backup', `--type=${type}`]);
  const sets = await backupSets();
  return sets[sets.length - 1];
}

/**
 * A restore to a time needs the WAL up to that time in the archive, and the primary archives a segment only once
 * it is full. `check` switches to a new segment on the primary and waits until the last one is archived. With no
 * primary to ask (the disaster case), the restore goes on with what the archive has.
 */
async function archiveCurrentWal(progress: (line: string) => void): Promise<void> {
  try {
    await pgbackrest(['check', '--log-level-console=warn']);
  } catch (error) {
    progress(`  · could not archive the primary's current WAL first (${(error as CommandError).output?.trim().split('\n').pop() ?? error}): restoring from what the archive has`);
  }
}

/** Stops the scratch node if it runs and deletes its data. */
export async function removeRestoreNode(stop: (name: string) => Promise<boolean>): Promise<void> {
  await stop(RESTORE_NODE);
  rmSync(paths.data(RESTORE_NODE), { recursive: true, force: true });
  rmSync(paths.socketDir(RESTORE_NODE), { recursive: true, force: true });
}

/**
 * Restores the newest backup taken before `to` into db-restore's data directory and sets recovery to stop at `to`
 * (a time PostgreSQL reads as a timestamptz, e.g. `2026-12-01 00:31:24.04+00`): the rows committed until then,
 * none after. The server started on it promotes itself there, on a new timeline of its own; archive_mode off, so it
 * never archives into the cluster's repository (its timeline's history file would clash with the cluster's next
 * failover).
 */
export async function restoreData(to: string, progress: (line: string) => void): Promise<void> {
  prepareRepository();
  await archiveCurrentWal(progress);
  ensureNamespace(service(RESTORE_NODE));
  ownedByPostgres(paths.data(RESTORE_NODE), 0o700);
  ownedByPostgres(paths.socketDir(RESTORE_NODE), 0o755);
  await pgbackrest([
    `--pg1-path=${throughMount(paths.data(RESTORE_NODE))}`,
    'restore',
    '--type=time',
    `--target=${to}`,
    '--target-action=promote',
    '--archive-mode=off',
  ]).catch((error: CommandError) => {
    // pgBackRest compares whole seconds, the backup's stop strictly before the target's: a time in the same second
    // as a backup's end does not count as after it.
    if (/unable to find backup set with stop time less than/.test(error.output ?? '')) {
      throw new Error(`no backup stopped in a second before ${to}: npm run stack -- pgbackrest info`, { cause: error });
    }
    throw error;
  });
}

export const isRestored = () => existsSync(join(paths.data(RESTORE_NODE), 'PG_VERSION'));

/**
 * The restored server's command line. The data directory holds a cluster node's postgresql.conf (Patroni's: that
 * node's address, socket directory, hba file, name and primary_conninfo); the command line overrides each of them,
 * so the server is only itself: no replication connection, no slot, no archiving.
 */
export function restoredPostgresCommand(pgBin: string): string[] {
  if (!isRestored()) throw new Error(`${RESTORE_NODE} has no data: npm run stack -- restore --to <time>`);
  const dataDir = throughMount(paths.data(RESTORE_NODE));
  const settings = {
    listen_addresses: service(RESTORE_NODE).address,
    port: String(service(RESTORE_NODE).port),
    unix_socket_directories: throughMount(paths.socketDir(RESTORE_NODE)),
    hba_file: join(dataDir, 'pg_hba.conf'),
    ident_file: join(dataDir, 'pg_ident.conf'),
    'node.name': RESTORE_NODE,
    cluster_name: RESTORE_NODE,
    archive_mode: 'off',
    primary_conninfo: '',
    primary_slot_name: '',
    recovery_min_apply_delay: '0',
  };
  return [join(pgBin, 'postgres'), '-D', dataDir, ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])];
}

/** Healthy once recovery has reached the target and the server has promoted itself (it then takes writes). */
export async function isRestoreComplete(): Promise<boolean> {
  return withSuperuser(RESTORE_NODE, async (db) => (await db.query('SELECT NOT pg_is_in_recovery() AS done')).rows[0].done as boolean);
}
