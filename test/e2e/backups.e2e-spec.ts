import { BackupSet, backupSets, pgbackrest, RESTORE_NODE } from '../../stack/native/backups';
import { stackResolver } from '../../stack/native/services';
import { leader, removeRestore, restore, switchover, takeBackup } from '../../stack/native/stack';
import { REPLICAS_NAME, service } from '../../stack/topology';
import { closeClient, get, operatorsUrl, request } from './support/client';
import { ConduitClient, newArticle, uncachedListPath } from './support/conduit';
import { onNode, startService, stopService, until } from './support/stack-control';

const quiet = () => undefined;

/** A write of the load: its slug once acknowledged, and whether it was sent only after the restore target was noted. */
interface LoadWrite {
  slug: string;
  sentAfterTarget: boolean;
}

/**
 * Articles written and lists read through nginx, one after another, while the backups and restores run. Writes are
 * told apart by when they were sent: before `noteTarget()`'s time was taken, or after.
 */
class Load {
  readonly acknowledged: LoadWrite[] = [];
  readonly failedWrites: string[] = [];
  readonly failedReads: string[] = [];
  private targetNoted = false;
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(author: ConduitClient) {
    const writer = async () => {
      while (this.running) {
        const sentAfterTarget = this.targetNoted;
        const response = await author.send('POST', '/api/articles', { article: newArticle() }).catch((e: Error) => ({ status: 0, body: e.message }) as never);
        if (response.status === 201) this.acknowledged.push({ slug: response.json().article.slug, sentAfterTarget });
        else this.failedWrites.push(`${response.status} ${String(response.body).slice(0, 120)}`);
      }
    };
    const reader = async () => {
      while (this.running) {
        const response = await get(uncachedListPath()).catch((e: Error) => ({ status: 0, body: e.message }));
        if (response.status !== 200) this.failedReads.push(`${response.status} ${response.body.slice(0, 120)}`);
      }
    };
    this.loops = [writer(), reader()];
  }

  /** The acknowledged writes so far: each committed before anything that happens next. */
  committedSoFar = (): string[] => this.acknowledged.map((w) => w.slug);

  /** From now on, every write is sent after the target time. */
  targetTaken(): void {
    this.targetNoted = true;
  }

  sentAfterTarget = (): string[] => this.acknowledged.filter((w) => w.sentAfterTarget).map((w) => w.slug);

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** The primary's own clock, as text: PostgreSQL reads it back as the recovery target with its microseconds. */
async function primaryClock(): Promise<string> {
  const [{ now }] = await onNode<{ now: string }>((await leader())!, 'SELECT clock_timestamp()::text AS now');
  return now;
}

/**
 * pgBackRest picks the backup for a time by comparing whole seconds, the backup's stop strictly before the target's:
 * a target in the same second as the backup's end finds none. Wait for the next second.
 */
async function pastTheEndOf(set: BackupSet): Promise<void> {
  const nextSecond = set.stoppedAt.getTime() + 1000;
  await until('the primary clock a second past the backup', async () => new Date(await primaryClock()).getTime() >= nextSecond, 5000);
}

const presentOn = async (node: string, slugs: string[]): Promise<string[]> =>
  (await onNode<{ slug: string }>(node, 'SELECT slug FROM conduit_article WHERE slug = ANY($1)', [slugs])).map((row) => row.slug);

describe('Backups: pgBackRest from a standby, restored to a point in time', () => {
  let author: ConduitClient;
  let load: Load | undefined;

  beforeAll(async () => {
    author = await ConduitClient.registered({}, { sendsConsistencyToken: false });
  });

  afterEach(async () => {
    await load?.stop();
    load = undefined;
    // The scratch node goes, whatever happened: it is no member of the cluster and must not outlive the test.
    await removeRestore();
  });

  afterAll(() => closeClient());

  it('should back up from a standby, and restore to a time T every row committed before T and none after, while the cluster serves reads and writes', async () => {
    const writer = await ConduitClient.registered();
    load = new Load(author);
    const beforeBackup = await writer.publish();

    const set = await takeBackup('full');
    await pastTheEndOf(set);
    const afterBackup = await writer.publish();
    const committedBeforeTarget = [...load.committedSoFar(), beforeBackup.slug, afterBackup.slug];
    const target = await primaryClock();
    load.targetTaken();
    const afterTarget = await writer.publish();
    await restore(target, quiet);
    const replicasInDns = await stackResolver().resolve4(REPLICAS_NAME);
    const rotation = (await request('GET', '/health/replication', { baseUrl: operatorsUrl() })).json();
    await load.stop();

    expect(set.fromStandby).toBe(true);
    expect((await backupSets()).map((s) => s.label)).toContain(set.label);
    expect(await presentOn(RESTORE_NODE, committedBeforeTarget)).toHaveLength(committedBeforeTarget.length);
    expect(await presentOn(RESTORE_NODE, [afterTarget.slug, ...load.sentAfterTarget()])).toEqual([]);
    // The restored server takes writes of its own; it is no replica and in no rotation.
    expect((await onNode<{ recovering: boolean }>(RESTORE_NODE, 'SELECT pg_is_in_recovery() AS recovering'))[0].recovering).toBe(false);
    expect(replicasInDns).not.toContain(service(RESTORE_NODE).address);
    expect([rotation.primary.name, ...rotation.replicas.map((r: { name: string }) => r.name)]).not.toContain(RESTORE_NODE);
    expect(load.acknowledged.length).toBeGreaterThan(0);
    expect(load.failedWrites).toEqual([]);
    expect(load.failedReads).toEqual([]);
    console.log(`backup ${set.label} (${set.type}) in ${(set.stoppedAt.getTime() - set.startedAt.getTime()) / 1000} s by pgBackRest's clock; ` +
      `${committedBeforeTarget.length} writes before the target restored, ${load.sentAfterTarget().length + 1} after it absent`);
  });

  describe('after a failover', () => {
    afterEach(async () => {
      // Leave the cluster as the next test expects it: db-primary up, leading, replicas streaming.
      await startService('db-primary');
      await switchover('db-primary');
      await until('both replicas streaming', async () => (await Promise.all(['db-replica-1', 'db-replica-2'].map((r) => onNode(r, "SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'")))).every((rows) => rows.length === 1), 30_000);
    });

    it('should archive from the new primary: a backup from the remaining standby, and a restore past the failover', async () => {
      const writer = await ConduitClient.registered();
      await takeBackup('full');
      const beforeFailover = await writer.publish();
      const timelineOf = async (node: string) => (await onNode<{ timeline: number }>(node, 'SELECT timeline_id AS timeline FROM pg_control_checkpoint()'))[0].timeline;
      const oldTimeline = await timelineOf('db-primary');

      await stopService('db-primary', true);
      const promoted = await until('a new primary that takes writes', async () => {
        const node = await leader();
        return node && node !== 'db-primary' && (await writer.send('POST', '/api/articles', { article: newArticle() })).status === 201 ? node : undefined;
      }, 60_000);
      const set = await takeBackup('incr');
      await pastTheEndOf(set);
      const afterFailover = await writer.publish();
      const target = await primaryClock();
      const afterTarget = await writer.publish();
      await restore(target, quiet);
      const check = await pgbackrest(['check']);

      expect(set.fromStandby).toBe(true);
      expect(set.type).toBe('incr');
      expect(await presentOn(RESTORE_NODE, [beforeFailover.slug, afterFailover.slug])).toHaveLength(2);
      expect(await presentOn(RESTORE_NODE, [afterTarget.slug])).toEqual([]);
      // Replayed past the backup on the new primary's timeline, whose WAL only the new primary archived.
      expect(await timelineOf(promoted)).toBeGreaterThan(oldTimeline);
      expect(check).toMatch(/successfully archived/);
    });
  });
});
