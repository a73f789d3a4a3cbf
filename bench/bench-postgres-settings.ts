import { waitFor } from '../stack/native/shell';
import { isNodeHealthy, withSuperuser } from '../stack/native/postgres';
import { leader, patronictl, Progress } from '../stack/native/stack';

export const STATEMENTS_LIBRARY = 'pg_stat_statements';
/**
 * Room for every variant's pools at once: six app servers, each with up to 20 connections to the primary (writes,
 * and a Conduit write's reads after it) and 10 to each replica, the ceilings' 20, and pools a variant left idle
 * (pg closes them after 10 s) while the next one runs. PostgreSQL's default of 100 refused connections mid-run.
 */
export const BENCH_MAX_CONNECTIONS = 300;

/**
 * What the bench needs of every node, through Patroni's dynamic configuration: pg_stat_statements preloaded (it
 * can only be preloaded) and max_connections raised. Both take a restart: the replicas first (a replica may
 * not allow fewer connections than its primary), then the leader, which stays where it is. Once done, it stays in
 * that stack's data and later runs restart nothing.
 */
export async function applyBenchSettings(nodes: readonly string[], progress: Progress): Promise<void> {
  const settings = await Promise.all(
    nodes.map((name) =>
      withSuperuser(name, async (db) => (await db.query("SELECT current_setting('shared_preload_libraries') AS libraries, current_setting('max_connections')::int AS connections")).rows[0]),
    ),
  );
  const applied = settings.every(({ libraries, connections }) => String(libraries).split(',').map((s) => s.trim()).includes(STATEMENTS_LIBRARY) && connections >= BENCH_MAX_CONNECTIONS);
  if (applied) return;
  progress(`  · loading ${STATEMENTS_LIBRARY} and allowing ${BENCH_MAX_CONNECTIONS} connections on every node (Patroni restarts them)`);
  patronictl(['edit-config', '--force', '-p', `shared_preload_libraries=${STATEMENTS_LIBRARY}`, '-p', `max_connections=${BENCH_MAX_CONNECTIONS}`]);
  const primary = await leader();
  for (const member of [...nodes.filter((name) => name !== primary), ...nodes.filter((name) => name === primary)]) {
    patronictl(['restart', 'nest-replica-starter', member, '--force']);
  }
  await waitFor('every node back', async () => (await Promise.all(nodes.map((n) => isNodeHealthy(n).catch(() => false)))).every(Boolean), { timeoutMs: 60_000 });
}
