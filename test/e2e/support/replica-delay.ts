import { parseLsn } from '../../../src/database/lsn';
import { patronictl } from '../../../stack/native/stack';
import { onNode, until } from './stack-control';

export const REPLICAS = ['db-replica-1', 'db-replica-2'];

/**
 * Sets the replicas' apply delay through Patroni (which strips recovery settings an ALTER SYSTEM puts in
 * postgresql.auto.conf), and returns once it holds: a row written now is still missing 100 ms later.
 */
export async function delayReplicas(delay: string): Promise<void> {
  patronictl(['edit-config', '--force', '-p', `recovery_min_apply_delay=${delay}`]);
  await onNode('db-primary', 'CREATE TABLE IF NOT EXISTS delay_probe (n bigint)');
  await until(`a ${delay} apply delay on both replicas`, async () => {
    const n = Date.now();
    await onNode('db-primary', 'INSERT INTO delay_probe VALUES ($1)', [n]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const seen = await Promise.all(REPLICAS.map((r) => onNode(r, 'SELECT 1 FROM delay_probe WHERE n = $1', [n])));
    return seen.every((rows) => rows.length === 0);
  });
}

export async function undelayReplicas(): Promise<void> {
  patronictl(['edit-config', '--force', '-p', 'recovery_min_apply_delay=0']);
  await until('no apply delay on either replica', async () => {
    const settings = await Promise.all(REPLICAS.map((r) => onNode<{ delay: string }>(r, "SELECT current_setting('recovery_min_apply_delay') AS delay")));
    return settings.every(([row]) => row.delay === '0');
  });
}

export async function caughtUp(): Promise<void> {
  const [{ lsn }] = await onNode<{ lsn: string }>('db-primary', 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
  await until('replicas caught up', async () => {
    const replayed = await Promise.all(REPLICAS.map((r) => onNode<{ lsn: string }>(r, 'SELECT pg_last_wal_replay_lsn()::text AS lsn')));
    return replayed.every(([row]) => parseLsn(row.lsn) >= parseLsn(lsn));
  }, 30_000);
}
