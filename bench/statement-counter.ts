import { Client } from 'pg';
import { paths } from '../stack/native/paths';
import { waitFor } from '../stack/native/shell';
import { withSuperuser as asSuperuser } from '../stack/native/postgres';
import { leader, Progress } from '../stack/native/stack';
import { applyBenchSettings, STATEMENTS_LIBRARY as LIBRARY } from './bench-postgres-settings';

/**
 * Counts the statements each PostgreSQL node runs in the app's database: each is one round trip.
 * pg_stat_statements rather than pg_stat_database's transaction counts, because a backend may hold those back
 * for up to 10 s after it goes idle, which would move one run's round trips into the next.
 */
export class StatementCounter {
  private constructor(private readonly clients: Map<string, Client>) {}

  /**
   * Applies the bench's settings to every node (pg_stat_statements preloaded among them: see applyBenchSettings),
   * creates the extension on the primary, and connects to each node.
   */
  static async open(nodes: readonly string[], progress: Progress): Promise<StatementCounter> {
    await applyBenchSettings(nodes, progress);
    const primary = await leader();
    if (!primary) throw new Error('no primary to create the extension on');
    await asSuperuser(primary, (db) => db.query(`CREATE EXTENSION IF NOT EXISTS ${LIBRARY}`));
    const clients = new Map<string, Client>();
    for (const name of nodes) {
      const client = new Client({ host: paths.socketDir(name), user: 'postgres', database: 'postgres' });
      await client.connect();
      clients.set(name, client);
    }
    const counter = new StatementCounter(clients);
    // Replicas have the extension once they replay its creation.
    await waitFor(`${LIBRARY} on every node`, () => counter.count().then(() => true), { timeoutMs: 30_000, intervalMs: 250 });
    return counter;
  }

  /** Statements run so far in the app's database, per node. */
  async count(): Promise<Record<string, number>> {
    const entries = await Promise.all(
      [...this.clients].map(async ([name, client]) => {
        const { rows } = await client.query(
          `SELECT coalesce(sum(calls), 0)::bigint AS calls FROM ${LIBRARY} WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'app')`,
        );
        return [name, Number(rows[0].calls)] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.end().catch(() => undefined)));
  }
}
