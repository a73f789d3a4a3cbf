import { createConnection, RowDataPacket } from 'mysql2/promise';
import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { ENTITY_DIALECT } from './column-types';
import { NodeEndpoint, parseEndpoint } from './database-topology';
import { ReplicaDiscovery } from './replica-discovery';

/** Every place a node may be, as the app's configuration names them (DNS names resolved now). */
async function candidates(config: AppConfig): Promise<NodeEndpoint[]> {
  const replicas = config.DB_REPLICAS_FROM_DNS
    ? await ReplicaDiscovery.resolverFor(config.DB_DNS_SERVERS).resolve4(config.DB_REPLICAS_FROM_DNS).catch(() => [])
    : config.DB_REPLICA_HOSTS;
  return [...new Set([config.DB_PRIMARY_HOST, ...replicas])].map((host) => parseEndpoint(host, config.DB_PORT));
}

async function isWritable(endpoint: NodeEndpoint, config: AppConfig): Promise<boolean> {
  return config.DB_DIALECT === 'mariadb' ? isWritableMariaDb(endpoint, config) : isWritablePostgres(endpoint, config);
}

async function isWritablePostgres(endpoint: NodeEndpoint, config: AppConfig): Promise<boolean> {
  const client = new Client({ ...endpoint, user: config.DB_USER, password: config.DB_PASSWORD, database: config.DB_NAME, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query("SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off' AS writable");
    return rows[0].writable;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * MariaDB: a replica runs with read_only (the app's user cannot get past it); the primary without. A Galera member
 * takes writes only while Synced (a server without wsrep has no such status, and counts as synced).
 */
async function isWritableMariaDb(endpoint: NodeEndpoint, config: AppConfig): Promise<boolean> {
  const connection = await createConnection({ ...endpoint, user: config.DB_USER, password: config.DB_PASSWORD, database: config.DB_NAME, connectTimeout: 2000 }).catch(() => undefined);
  if (!connection) return false;
  connection.on('error', () => undefined);
  try {
    const [rows] = await connection.query<RowDataPacket[]>(`SELECT @@global.read_only = 0 AND IFNULL((SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT'), 'Synced') = 'Synced' AS writable`);
    return Number(rows[0].writable) === 1;
  } catch {
    return false;
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/**
 * The node that takes writes now, for one-shot jobs (migrate, seed): roles move on failover, so a job asks
 * every candidate rather than trusting DB_PRIMARY_HOST. Waits (up to `timeoutMs`) while there is no single one
 * (on Galera, none).
 */
export async function locatePrimary(config: AppConfig, timeoutMs = 60_000): Promise<NodeEndpoint> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nodes = await candidates(config);
    const writable = (await Promise.all(nodes.map(async (node) => ((await isWritable(node, config)) ? node : null)))).filter((n) => n !== null);
    if (writable.length === 1) return writable[0];
    // Galera: every synced member takes writes; the first in the configured order, as the app servers choose.
    if (writable.length > 1 && config.DB_TOPOLOGY === 'galera') return writable[0];
    if (Date.now() > deadline) throw new Error(`no single writable node among ${nodes.map((n) => n.host).join(', ')} (found ${writable.length})`);
    console.log(`waiting for a primary (${writable.length} writable nodes among ${nodes.length})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A DataSource on the node that is primary now, for one-shot jobs; `options` add to the connection settings. */
export async function primaryDataSource(config: AppConfig, job: string, options: Partial<DataSourceOptions>): Promise<DataSource> {
  if (options.entities?.length && config.DB_DIALECT !== ENTITY_DIALECT) {
    // The entities' column types were fixed when they loaded, from the environment's DB_DIALECT (column-types.ts).
    throw new Error(`the entities were declared for DB_DIALECT=${ENTITY_DIALECT}, and this job runs with ${config.DB_DIALECT}: set DB_DIALECT in its environment`);
  }
  const primary = await locatePrimary(config);
  const connection = { host: primary.host, port: primary.port, username: config.DB_USER, password: config.DB_PASSWORD, database: config.DB_NAME };
  const dialect =
    config.DB_DIALECT === 'mariadb'
      ? // DATETIME columns hold UTC, as the app's connections read and write them.
        { type: 'mariadb', timezone: 'Z', connectTimeout: config.DB_CONNECT_TIMEOUT_MS }
      : { type: 'postgres', applicationName: `${config.APP_INSTANCE}-${job}`, connectTimeoutMS: config.DB_CONNECT_TIMEOUT_MS, installExtensions: false };
  return new DataSource({ ...dialect, ...connection, ...options } as DataSourceOptions).initialize();
}
