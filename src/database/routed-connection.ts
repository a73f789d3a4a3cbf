import { EventEmitter } from 'node:events';
import type { QueryConfig, QueryResult, Submittable } from 'pg';

type QueryCallback = (error: Error | null, result?: QueryResult) => void;
import type { Readable } from 'node:stream';
import { Host } from './host';
import type { PostgresConnection } from './postgres-node';
import { Lease, LoadBalancer } from './load-balancer';
import { isNodeFailure } from './node-failure';
import { textOf } from './position-tracking-client';
import { Session } from './session';

/**
 * What TypeORM asked for: its master pool's connections write (`primary`), its slave pools' read
 * (`replica`); `startup` serves TypeORM's own queries while the data source initializes (any node).
 */
export type ConnectionRole = 'primary' | 'replica' | 'startup';

const BEGIN = /^\s*(START\s+TRANSACTION|BEGIN)\b/i;
const ROLLBACK = /^\s*ROLLBACK\b/i;
/**
 * Statements that write nothing when they run on their own: a request that ran only these has nothing a second run
 * would repeat (TypeORM's save() loads an entity on the primary before its transaction). Anything else counts as a
 * write, conservatively.
 */
const WRITES_NOTHING = /^\s*(SELECT|SHOW|SET)\b/i;
// Not `ROLLBACK TO SAVEPOINT`: TypeORM's nested transactions stay inside the outer one.
const END = /^\s*(COMMIT|END|ROLLBACK)\s*;?\s*$/i;

/**
 * TypeORM's first query of a paginated read with joins (the page's ids): it runs the rows' query next on the same
 * runner when it found any. No position behind it when it opens the lease: the next one's bounds both (one node,
 * which only replays forward), and with no next one, the read's position is asked after the fact
 * (Session.recordRead). After a tracked read (a runner the caller holds) it has one, or the lease's last position
 * would be the older read's.
 */
const PAGE_IDS = /^SELECT DISTINCT ["`]distinctAlias["`]\./;

/** Positions behind the lease's statements: tracked, and not reads on the primary (asked once per request instead). */
const positionsBehindStatements = (lease: Lease) => lease.tracked && !lease.readsPrimary;

/** The lease's connection as what it is under this facade: a pg client of a PostgresNode. */
const pgClientOf = (lease: Lease) => lease.connection as PostgresConnection;

const isSubmittable = (config: unknown): config is Submittable => typeof (config as Submittable)?.submit === 'function';

/**
 * The connection a TypeORM driver holds for one query runner, in place of its client library's, whatever the
 * dialect. It takes a real connection from the node the load balancer chooses when the runner sends its first
 * statement, and gives it back when the runner is released, recording on the request's session where the
 * statements ran and the position read behind the last of them.
 *
 * A read whose replica fails (before or during a statement, outside a transaction) runs again elsewhere: the
 * caller never sees it. Each dialect's subclass speaks its client library's surface (RoutedConnection: pg's).
 */
export abstract class RoutedConnectionCore extends EventEmitter {
  private leasing?: Promise<Lease>;
  private current?: Lease;
  private readonly tried = new Set<Host>();
  /** Leases already given back: a connection goes back to its pool once, whatever fails around it. */
  private readonly givenBack = new WeakSet<Lease>();
  private inTransaction = false;
  /** On the primary: a statement that commits (autocommit, or COMMIT) has succeeded here. */
  private committed = false;
  private released = false;
  // A connection that breaks while checked out emits 'error'; its next statement reports it (as a node failure).
  // TypeORM listens for 'error' on this object, which never emits one: the failure reaches it as a statement's.
  private readonly onConnectionError = () => undefined;

  constructor(
    protected readonly balancer: LoadBalancer,
    private readonly role: ConnectionRole,
    protected readonly session: Session | undefined,
  ) {
    super();
  }

  /** TypeORM's `release(error)`: the real connection goes back to its pool (destroyed when `error` is given). */
  release(error?: Error): void {
    if (this.released) return;
    this.released = true;
    if (this.current) return this.finish(this.current, error);
    // Released while its connection was still being taken (a user-managed runner may do that).
    void this.leasing?.then(
      (lease) => this.finish(lease, error),
      () => undefined,
    );
  }

  private finish(lease: Lease, error?: Error): void {
    const position = positionsBehindStatements(lease) ? lease.connection.stopTracking() : Promise.resolve(null);
    const outcome = this.role !== 'primary' ? 'read' : this.committed ? 'committed' : 'not-committed';
    this.balancer.recordLease(lease, this.session, outcome, position);
    // Still inside a transaction (left open, or its ROLLBACK failed): the next borrower must not inherit it.
    const unusable = error ?? (this.inTransaction ? new Error('released inside a transaction') : undefined);
    // Back to the pool only once its position query has answered: the next borrower must not get its reply.
    void position.finally(() => this.giveBack(lease, unusable));
  }

  /** Runs one statement (`text`, as `execute` sends it) on the lease's connection: a failed replica read runs again elsewhere. */
  protected async run<R>(text: string, execute: (lease: Lease) => Promise<R>): Promise<R> {
    if (BEGIN.test(text)) this.inTransaction = true;
    else if (END.test(text)) this.inTransaction = false;
    const commits = this.role === 'primary' && !this.inTransaction && !ROLLBACK.test(text);
    for (;;) {
      const lease = await this.lease();
      try {
        const result = await execute(lease);
        if (commits) this.committed = true;
        // At once, not when the connection is released: a conflict elsewhere in the request is judged against it.
        if (commits && !WRITES_NOTHING.test(text)) this.session?.recordCommit();
        return result;
      } catch (error) {
        if (this.role === 'primary') throw await this.balancer.statementFailedOnPrimary(error, lease.node);
        // Outside a transaction a read is one statement on a read-only session: safe to run again elsewhere.
        if (!lease.replica || this.inTransaction || !isNodeFailure(error)) throw error;
        this.dropLease(lease, error);
      }
    }
  }

  /** Inside a transaction opened on this connection (streams refuse to run there). */
  protected get insideTransaction(): boolean {
    return this.inTransaction;
  }

  private lease(): Promise<Lease> {
    this.leasing ??= this.open().then(
      (lease) => {
        this.current = lease;
        lease.connection.on('error', this.onConnectionError);
        // On the primary: behind each statement that commits (autocommit, or COMMIT); on a replica: behind each
        // but a page's ids that opens the lease (after a tracked read, the last position must cover the ids too).
        let tracking = false;
        const afterRead = (text: string) => (tracking ||= !PAGE_IDS.test(text));
        if (positionsBehindStatements(lease)) lease.connection.trackPositions(this.role === 'primary' ? () => !this.inTransaction : afterRead);
        return lease;
      },
      (error: unknown) => {
        this.leasing = undefined;
        throw error;
      },
    );
    return this.leasing;
  }

  protected open(kind: 'streams' | undefined = undefined): Promise<Lease> {
    if (this.role === 'primary') return this.balancer.leaseOnPrimary(this.session, kind);
    if (this.role === 'replica') return this.balancer.leaseForRead(this.session, this.tried, kind);
    return this.balancer.leaseAny();
  }

  private dropLease(lease: Lease, error: unknown): void {
    // Only the lease it failed on: a concurrent statement may already have taken the next one.
    if (this.current === lease) this.leasing = this.current = undefined;
    void lease.connection.stopTracking();
    this.giveBack(lease, error as Error);
    if (lease.replica) this.balancer.readFailed(lease.replica, error, this.tried, this.session);
  }

  protected giveBack(lease: Lease, error?: Error): void {
    if (this.givenBack.has(lease)) return;
    this.givenBack.add(lease);
    lease.connection.off('error', this.onConnectionError);
    lease.connection.release(error);
  }

  /** Takes the connection's errors while `lease` is out (see onConnectionError). */
  protected watchErrors(lease: Lease): void {
    lease.connection.on('error', this.onConnectionError);
  }
}

/**
 * The connection TypeORM's PostgreSQL driver holds for one query runner, in place of a pg client: positions are
 * read behind statements in their round trips (PositionTrackingClient). Streams take a connection of their own
 * from a pool that is not pipelined.
 */
export class RoutedConnection extends RoutedConnectionCore {
  // pg's client surface, as TypeORM's PostgresQueryRunner and PostgresDriver use it: query(text, values),
  // query(text, callback) and query(stream).
  query(config: string | QueryConfig, values?: unknown[]): Promise<QueryResult>;
  query(config: string | QueryConfig, callback: QueryCallback): undefined;
  query<S extends Submittable>(stream: S): S;
  query(config: string | QueryConfig | Submittable, values?: unknown[] | QueryCallback): Promise<QueryResult> | Submittable | undefined {
    if (isSubmittable(config)) return this.stream(config);
    if (typeof values !== 'function') return this.run(textOf(config) ?? '', (lease) => pgClientOf(lease).query(config as QueryConfig, values));
    const callback = values;
    this.run(textOf(config) ?? '', (lease) => pgClientOf(lease).query(config as QueryConfig) as Promise<QueryResult>).then(
      (result) => callback(null, result),
      (error: Error) => callback(error),
    );
    return undefined;
  }

  /**
   * A cursor keeps a portal open across round trips, which pipeline mode refuses: the stream gets a
   * connection of its own, and its position is asked for when the response's token is made.
   */
  private stream<S extends Submittable>(submittable: S): S {
    const stream = submittable as unknown as Readable & S;
    if (this.insideTransaction) {
      process.nextTick(() => stream.destroy(new Error('stream() inside a transaction is not supported: run the query with getMany()/getRawMany(), or stream outside the transaction')));
      return submittable;
    }
    let ended = false;
    stream.once('end', () => (ended = true));
    this.open('streams').then(
      (lease) => {
        // The consumer gave up before the statement was sent: nothing ran on the connection.
        if (stream.destroyed) return this.giveBack(lease);
        this.watchErrors(lease);
        // Now, in the request's context and before its response's token: the statement reads a snapshot taken as it starts.
        this.balancer.recordStream(lease, this.session);
        // Closed before its end (the consumer stopped): the portal is still open, so the connection goes.
        stream.once('close', () => this.giveBack(lease, ended ? undefined : new Error('stream closed before its end')));
        pgClientOf(lease).query(submittable);
      },
      (error: Error) => stream.destroy(error),
    );
    return submittable;
  }
}
