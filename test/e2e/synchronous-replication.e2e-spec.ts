import { POSITION, positionIn } from '../../src/database/position-tracking-client';
import { leader, patronictl } from '../../stack/native/stack';
import { onNode, pauseReplay, resumeReplay, until } from './support/stack-control';
import { REPLICAS } from './support/replica-delay';

/**
 * The rule synchronous replication imposes on positions (issue 14): a commit is written and flushed on the
 * primary, then waits for its standby's acknowledgement before other sessions there can see it. Meanwhile the
 * primary's position already counts it, and a replica may have replayed it. So on the primary a position is an
 * upper bound of what a read sees, never a lower one; the cache judges fills from primary reads by the
 * invalidations that landed during them instead (docs/cache.md, "A cache replication cannot poison"), and a
 * client that saw the row on a replica may not find it on the primary until the acknowledgement.
 */
describe('Synchronous replication: positions and visibility on the primary', () => {
  let primary: string;
  let standby: string;
  let other: string;

  beforeAll(async () => {
    patronictl(['edit-config', '--force', '-s', 'synchronous_mode=true']);
    primary = (await leader())!;
    const syncStandby = async () => (await onNode<{ name: string }>(primary, "SELECT application_name AS name FROM pg_stat_replication WHERE sync_state = 'sync'"))[0]?.name;
    standby = await until('a synchronous standby', syncStandby, 30_000);
    other = REPLICAS.find((name) => name !== standby)!;
    await onNode(primary, 'CREATE TABLE IF NOT EXISTS sync_probe (n bigint)');
  });

  afterAll(() => {
    patronictl(['edit-config', '--force', '-s', 'synchronous_mode=false']);
  });

  it("should count a commit in the primary's position, and show it on another replica, before the primary shows it", async () => {
    const n = Date.now();
    // The standby cannot acknowledge what it has not applied (remote_apply) while its replay is paused: the
    // commit waits, as one does in the default remote_flush mode while the standby is slow to flush.
    await pauseReplay(standby);
    let committing: Promise<unknown> | undefined;
    try {
      committing = onNode(primary, `BEGIN; SET LOCAL synchronous_commit = remote_apply; INSERT INTO sync_probe VALUES (${n}); COMMIT`);
      await until(`${other} to show the row`, async () => (await onNode(other, 'SELECT 1 FROM sync_probe WHERE n = $1', [n])).length === 1);
      const [replayed] = await onNode<{ lsn: string }>(other, 'SELECT pg_last_wal_replay_lsn()::text AS lsn');
      const position = positionIn(await onNode<{ lsn: string | null }>(primary, POSITION));

      const onPrimary = await onNode(primary, 'SELECT 1 FROM sync_probe WHERE n = $1', [n]);

      expect(onPrimary).toEqual([]);
      expect(position).not.toBeNull();
      expect(position! >= positionIn([replayed])!).toBe(true);
    } finally {
      await resumeReplay(standby);
      await committing;
    }
    expect(await onNode(primary, 'SELECT 1 FROM sync_probe WHERE n = $1', [n])).toHaveLength(1);
  });
});
