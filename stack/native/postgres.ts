import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { service, slotOf, SUBNET } from '../topology';
import { inNamespace } from './daemons';
import { paths, PG_BIN } from './paths';
import { run, runAsync } from './shell';

/** Dev-only credentials, the same defaults as docker-compose.yml and stack/app.env. */
export const credentials = {
  app: { user: 'app', password: 'app-dev-password', database: 'app' },
  replicator: { user: 'replicator', password: 'replicator-dev-password' },
};

const PG_USER = 'postgres';

function ownedByPostgres(dir: string, mode = 0o700): void {
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = postgresIds();
  chownSync(dir, uid, gid);
  chmodSync(dir, mode);
}

let ids: { uid: number; gid: number } | undefined;
function postgresIds(): { uid: number; gid: number } {
  ids ??= { uid: Number(run(['id', '-u', PG_USER])), gid: Number(run(['id', '-g', PG_USER])) };
  return ids;
}

export const isInitialised = (name: string) => existsSync(join(paths.data(name), 'PG_VERSION'));

/**
 * Settings of one node only. Kept in node.conf, which postgresql.conf includes, so that a base backup of
 * the primary does not carry the primary's name and socket directory over to a replica.
 */
function writeNodeConf(name: string): void {
  const conf = [
    `cluster_name = '${name}'`,
    `listen_addresses = '${service(name).address}'`,
    `port = 5432`,
    `unix_socket_directories = '${paths.socketDir(name)}'`,
  ].join('\n');
  writeFileSync(join(paths.data(name), 'node.conf'), conf + '\n');
  ownedByPostgres(paths.socketDir(name), 0o755);
}

/** Throwaway data in tests: trade durability for speed, as immich does in its medium tests. */
const fastSettings = () =>
  process.env.STACK_FAST === '1' ? ['fsync = off', 'full_page_writes = off'] : [];

export function initPrimary(): void {
  const name = 'db-primary';
  const data = paths.data(name);
  rmSync(data, { recursive: true, force: true });
  ownedByPostgres(data);
  run(inNamespace(name, [`${PG_BIN}/initdb`, '-D', data, '-U', PG_USER, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8'], PG_USER));
  const settings = [
    "include_if_exists = 'node.conf'",
    'wal_level = replica',
    'max_wal_senders = 10',
    'max_replication_slots = 10',
    "max_slot_wal_keep_size = '1GB'",
    'hot_standby = on',
    // Replicas tell the primary which rows their queries still need: fewer
    // "canceling statement due to conflict with recovery" errors on long replica reads.
    'hot_standby_feedback = on',
    'wal_receiver_status_interval = 1s',
    "log_line_prefix = '%m [%p] %q%u@%d '",
    ...fastSettings(),
  ];
  run(['sh', '-c', `cat >> '${join(data, 'postgresql.conf')}'`], { input: settings.join('\n') + '\n' });
  run(['sh', '-c', `cat >> '${join(data, 'pg_hba.conf')}'`], {
    input: [`host all all ${SUBNET} scram-sha-256`, `host replication ${credentials.replicator.user} ${SUBNET} scram-sha-256`].join('\n') + '\n',
  });
  writeNodeConf(name);
}

export function serverCommand(name: string): string[] {
  return [`${PG_BIN}/postgres`, '-D', paths.data(name)];
}

/** A superuser connection over the node's own unix socket (trust), from this machine's namespace. */
export async function withSuperuser<T>(name: string, work: (client: Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const client = new Client({ host: paths.socketDir(name), user: PG_USER, database, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Roles, database and one physical slot per replica; safe to run again. */
export async function bootstrapPrimary(replicaNames: string[]): Promise<void> {
  await withSuperuser('db-primary', async (db) => {
    const { app, replicator } = credentials;
    await db.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${app.user}') THEN
        CREATE ROLE ${app.user} LOGIN PASSWORD '${app.password}';
      END IF;
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${replicator.user}') THEN
        CREATE ROLE ${replicator.user} LOGIN REPLICATION PASSWORD '${replicator.password}';
      END IF;
    END $$`);
    const exists = await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [app.database]);
    if (exists.rowCount === 0) await db.query(`CREATE DATABASE ${app.database} OWNER ${app.user}`);
    // Slots first, then base backups: `pg_basebackup -C -S` run twice at once races on slot creation.
    for (const replica of replicaNames) await ensureSlot(db, slotOf(replica));
  });
}

/** The slot reserves WAL from now (immediately_reserve), so the base backup's WAL cannot be recycled first. */
async function ensureSlot(db: Client, slot: string): Promise<void> {
  await db.query(
    'SELECT pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)',
    [slot],
  );
}

export async function createSlot(replicaName: string): Promise<void> {
  await withSuperuser('db-primary', (db) => ensureSlot(db, slotOf(replicaName)));
}

export async function dropSlot(replicaName: string): Promise<void> {
  await withSuperuser('db-primary', (db) =>
    db.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [slotOf(replicaName)]),
  );
}

/** A replica from a base backup taken inside its own namespace, so `db-primary` resolves through the stack DNS. */
export async function cloneReplica(name: string): Promise<void> {
  const data = paths.data(name);
  rmSync(data, { recursive: true, force: true });
  ownedByPostgres(data);
  const argv = inNamespace(
    name,
    [`${PG_BIN}/pg_basebackup`, '-h', 'db-primary', '-U', credentials.replicator.user, '-D', data, '-R', '-X', 'stream', '-c', 'fast', '-S', slotOf(name)],
    PG_USER,
  );
  await runAsync(argv, { ...process.env, PGPASSWORD: credentials.replicator.password, PGCONNECT_TIMEOUT: '5' });
  writeNodeConf(name);
}

export async function isPrimaryReady(): Promise<boolean> {
  return withSuperuser('db-primary', async (db) => (await db.query('SELECT NOT pg_is_in_recovery() AS ok')).rows[0].ok);
}

/** Healthy means the replica's own WAL receiver streams, not just that it accepts connections. */
export async function isReplicaStreaming(name: string): Promise<boolean> {
  return withSuperuser(name, async (db) => {
    const { rows } = await db.query("SELECT status FROM pg_stat_wal_receiver");
    return rows[0]?.status === 'streaming';
  });
}
