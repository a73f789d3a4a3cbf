import { Client, ClientConfig, Query, QueryConfig, QueryResult } from 'pg';
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

const POSITION_STATEMENT = 'replication-position';

/** What pg's Query does with the backend's answers and how it sends its messages (not in pg's types). */
interface QueryInternals {
  queryMode?: 'simple' | 'extended';
  callback?: (error: Error | null, result?: unknown) => void;
  _results: unknown;
  /** A row the statement returned could not be parsed (a type parser threw): the statement's error. */
  _canceledDueToError: Error | false;
  handleDataRow(message: { fields: (string | null)[] }): void;
  handleCommandComplete(message: unknown, connection: unknown): void;
  handleEmptyQuery(connection: unknown): void;
  handleError(error: Error, connection: unknown): void;
  handleReadyForQuery(connection: unknown): void;
}

interface ProtocolConnection {
  parsedStatements: Record<string, string>;
  execute(config: { portal?: string; rows?: number }): void;
  bind(config: { statement: string; values: unknown[] }): void;
  sync(): void;
}

/**
 * A statement and the position query behind it in one pipeline step: Bind/Execute for each, then one Sync. The
 * server answers both with one ReadyForQuery, and so writes to the socket once where two Syncs cost it two
 * flushes (each one, on this stack's veth pairs, also delivers the packet: the main cost of the position query).
 * The statement's rows, command or error reach its caller as pg's own Query would deliver them; the position is
 * handed to `onPosition` (null when the statement failed, since the server then skips to the Sync).
 */
class PositionedQuery extends Query {
  private statementDone = false;
  private positionText: string | null = null;
  private delivered = false;

  constructor(
    config: string | QueryConfig,
    values: unknown[] | undefined,
    callback: (error: Error | null, result?: unknown) => void,
    private readonly onPosition: (lsn: Lsn | null) => void,
  ) {
    super(config as QueryConfig, values as never, callback as never);
    // Extended even without parameters, or the statement would go alone as a simple query (its own Sync).
    (this as unknown as QueryInternals).queryMode = 'extended';
  }

  // pg's Query sends Execute then Sync; here the position query goes between them.
  _getRows(connection: ProtocolConnection, rows?: number): void {
    connection.execute({ portal: '', rows });
    connection.bind({ statement: POSITION_STATEMENT, values: [] });
    connection.execute({});
    connection.sync();
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    if (this.statementDone) this.positionText = message.fields[0];
    else (Query.prototype as unknown as QueryInternals).handleDataRow.call(this, message);
  }

  handleCommandComplete(message: unknown, connection: unknown): void {
    if (this.statementDone) return;
    (Query.prototype as unknown as QueryInternals).handleCommandComplete.call(this, message, connection);
    this.statementDone = true;
  }

  handleEmptyQuery(connection: unknown): void {
    this.statementDone = true;
    (Query.prototype as unknown as QueryInternals).handleEmptyQuery.call(this, connection);
  }

  handleError(error: Error, connection: unknown): void {
    if (this.delivered) return;
    this.delivered = true;
    this.onPosition(null);
    const self = this as unknown as QueryInternals;
    // The statement succeeded and the position query failed: the caller gets the statement's result.
    if (this.statementDone && !self._canceledDueToError) self.callback?.(null, self._results);
    else (Query.prototype as unknown as QueryInternals).handleError.call(this, error, connection);
  }

  handleReadyForQuery(connection: unknown): void {
    if (this.delivered) return;
    // pg's Query turns a row it could not parse into the statement's error when the server is done.
    const unparsed = (this as unknown as QueryInternals)._canceledDueToError;
    if (unparsed) return this.handleError(unparsed, connection);
    this.delivered = true;
    this.onPosition(this.positionText ? parseLsn(this.positionText) : null);
    (Query.prototype as unknown as QueryInternals).handleReadyForQuery.call(this, connection);
  }
}

/** One statement, not a list: the extended protocol (PositionedQuery) refuses several in one text. */
const SINGLE_STATEMENT = /^[^;]*;?\s*$/;

/**
 * A pg client that can read the node's position right behind a statement, in that statement's round trip.
 * The position query is queued in the same tick as the statement, so the server runs it right after: on a
 * replica it bounds from above what the statement saw; after COMMIT on the primary it covers the commit. The
 * pool runs its clients in pipeline mode, so it costs the server one cheap statement and the request no wait.
 * Once the position statement is prepared on the connection, it shares the statement's Sync (PositionedQuery).
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
    this.onPipelinedPosition?.();
    if (this.canShareSync(args, text)) return this.queryWithPosition(args[0] as string | QueryConfig, args[1] as unknown[] | undefined) as never;
    // Corked: the statement and the position query leave in one write (one packet, one syscall), not two.
    const { stream } = (this as unknown as { connection: { stream: { cork(): void; uncork(): void } } }).connection;
    stream.cork();
    try {
      const result = (super.query as (...a: unknown[]) => unknown)(...args);
      // Named: each connection parses and plans it once, then only binds and executes it.
      this.follow.latest = (super.query({ name: POSITION_STATEMENT, text: POSITION }) as Promise<QueryResult<{ lsn: string | null }>>).then(
        ({ rows }) => positionIn(rows),
        () => null,
      );
      return result as never;
    } finally {
      stream.uncork();
    }
  }

  /** A promise-style call of one plain statement, once this connection has the position statement prepared. */
  private canShareSync(args: unknown[], text: string): boolean {
    const [config, values] = args;
    if (typeof values === 'function' || args.length > 2) return false;
    const options = typeof config === 'object' ? (config as QueryConfig & { rows?: unknown; queryMode?: string; callback?: unknown }) : undefined;
    if (options && (options.rows !== undefined || options.queryMode === 'simple' || options.callback !== undefined)) return false;
    const { parsedStatements } = (this as unknown as { connection: ProtocolConnection }).connection;
    return parsedStatements[POSITION_STATEMENT] === POSITION && SINGLE_STATEMENT.test(text);
  }

  private queryWithPosition(config: string | QueryConfig, values: unknown[] | undefined): Promise<QueryResult> {
    let position!: (lsn: Lsn | null) => void;
    this.follow!.latest = new Promise<Lsn | null>((resolve) => (position = resolve));
    return new Promise<QueryResult>((resolve, reject) => {
      const query = new PositionedQuery(config, values, (error, result) => (error ? reject(error) : resolve(result as QueryResult)), position);
      // pg sets the query's callback to its timeout wrapper and returns the query itself for a submittable.
      (super.query as (query: unknown) => unknown)(query);
    });
  }
}
