import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
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
 * The node that takes writes now, for one-shot jobs (migrate, seed): roles move on failover, so a job asks
 * every candidate rather than trusting DB_PRIMARY_HOST. Waits (up to `timeoutMs`) while there is no single one.
 */
export async function locatePrimary(config: AppConfig, timeoutMs = 60_000): Promise<NodeEndpoint> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nodes = await candidates(config);
    const writable = (await Promise.all(nodes.map(async (node) => ((await isWritable(node, config)) ? node : null)))).filter((n) => n !== null);
    if (writable.length === 1) return writable[0];
    if (Date.now() > deadline) throw new Error(`no single writable node among ${nodes.map((n) => n.host).join(', ')} (found ${writable.length})`);
    console.log(`waiting for a primary (${writable.length} writable nodes among ${nodes.length})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A DataSource on the node that is primary now, for one-shot jobs; `options` add to the connection settings. */
export async function primaryDataSource(config: AppConfig, job: string, options: Partial<DataSourceOptions>): Promise<DataSource> {
  const primary = await locatePrimary(config);
  return new DataSource({
    type: 'postgres',
    host: primary.host,
    port: primary.port,
    username: config.DB_USER,
    password: config.DB_PASSWORD,
    database: config.DB_NAME,
    applicationName: `${config.APP_INSTANCE}-${job}`,
    connectTimeoutMS: config.DB_CONNECT_TIMEOUT_MS,
    installExtensions: false,
    ...options,
  } as DataSourceOptions).initialize();
}
