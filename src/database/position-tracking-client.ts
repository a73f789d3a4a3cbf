import { Client, ClientConfig, QueryResult } from 'pg';
import { Lsn, parseLsn } from './lsn';

/**
 * The node's WAL position: replayed on a replica; on the primary, at or after every commit visible now.
 *
 * On the primary that is the insert position, not the flush position: a commit made with synchronous_commit
 * off is visible before it is flushed, and whether it was is not knowable afterwards (a `SET LOCAL` is gone
 * once the transaction has committed; the setting may also come from the role, the database or a function).
 * Asking this session's setting, as this query did, gave a writer that had turned it off for one transaction
 * a position below its own commit (issue 14, item 6c). The insert position is at most one WAL flush ahead of
 * what replicas can reach: sync commits flush it at once, the WAL writer within wal_writer_delay.
 *
 * One exception keeps an idle primary's position reachable: when nothing but a page header lies between the
 * flush and insert positions (the last record ended on a page boundary), the insert position counts that
 * header, which no replica reports having replayed until the next record; the flush position then covers
 * every commit.
 */
export const POSITION = `SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
  ELSE (SELECT CASE WHEN (flushed - '0/0'::pg_lsn) % current_setting('wal_block_size')::int = 0
                     AND inserted - flushed = CASE WHEN (flushed - '0/0'::pg_lsn) % pg_size_bytes(current_setting('wal_segment_size')) = 0
                                                   THEN 40 ELSE 24 END -- a long (segment's first page) or short page header
                    THEN flushed ELSE inserted END
        FROM (SELECT pg_current_wal_insert_lsn() AS inserted, pg_current_wal_flush_lsn() AS flushed) AS wal) END)::text AS lsn`;

/** The position in POSITION's answer; null when the node has none (a replica that has replayed nothing yet). */
export const positionIn = (rows: { lsn: string | null }[]): Lsn | null => (rows[0]?.lsn ? parseLsn(rows[0].lsn) : null);

export interface PositionTrackingConfig extends ClientConfig {
  /** Told each time a position query rode in another statement's round trip. */
  onPipelinedPosition?: () => void;
}

type Follow = { after: (text: string) => boolean; latest: Promise<Lsn | null> | null };

/** The SQL of what pg's query() was given (text or a config object); undefined for a stream or cursor. */
export const textOf = (config: unknown): string | undefined =>
  typeof config === 'string' ? config : typeof (config as { text?: unknown })?.text === 'string' ? (config as { text: string }).text : undefined;

/**
 * A pg client that can read the node's position right behind a statement, in that statement's round trip.
 * The position query is queued in the same tick as the statement, so the server runs it right after: on a
 * replica it bounds from above what the statement saw; after COMMIT on the primary it covers the commit. The
 * pool runs its clients in pipeline mode, so it costs the server one cheap statement and the request no wait.
 */
export class PositionTrackingClient extends Client {
  private follow?: Follow;
  private readonly onPipelinedPosition?: () => void;

  constructor(config: PositionTrackingConfig) {
    super(config);
    this.onPipelinedPosition = config.onPipelinedPosition;
  }

  /** Until stopTracking(): each statement `after` accepts is followed by a position query. */
  trackPositions(after: (text: string) => boolean): void {
    this.follow = { after, latest: null };
  }

  /** The position read behind the last tracked statement; null when none was tracked or it failed. */
  async stopTracking(): Promise<Lsn | null> {
    const latest = this.follow?.latest ?? null;
    this.follow = undefined;
    return latest;
  }

  // pg's overloads (text, config, submittable; promise or callback) all go through here unchanged.
  override query(...args: unknown[]): never {
    const text = textOf(args[0]);
    if (!this.follow || text === undefined || !this.follow.after(text)) return (super.query as (...a: unknown[]) => never)(...args);
    // Corked: the statement and the position query leave in one write (one packet, one syscall), not two.
    const { stream } = (this as unknown as { connection: { stream: { cork(): void; uncork(): void } } }).connection;
    stream.cork();
    try {
      const result = (super.query as (...a: unknown[]) => unknown)(...args);
      // Named: each connection parses and plans it once, then only binds and executes it.
      this.follow.latest = (super.query({ name: 'replication-position', text: POSITION }) as Promise<QueryResult<{ lsn: string | null }>>).then(
        ({ rows }) => positionIn(rows),
        () => null,
      );
      this.onPipelinedPosition?.();
      return result as never;
    } finally {
      stream.uncork();
    }
  }
}
