/**
 * Whether an error means "this node cannot serve this statement now" (retry the read elsewhere) rather than
 * "this query is wrong" (which would fail on any node, so it is rethrown).
 */
const NODE_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections.
const NODE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

// MariaDB's, as mysql2 names them: the connection lost, the server shutting down (1053), the connection
// killed (1927), too many connections (1040), and a Galera node out of the primary component (1047: it lost quorum,
// or is still joining).
const MARIADB_NODE_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'ER_CON_COUNT_ERROR', 'ER_UNKNOWN_COM_ERROR']);

// A write refused as read-only: PostgreSQL's 25006; MariaDB's read_only (1290) and READ ONLY transaction (1792).
const READ_ONLY_CODES = new Set(['25006', 'ER_OPTION_PREVENTS_STATEMENT', 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION']);

const NODE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection error|Connection ended|server closed the connection/i;

const causeOf = (error: unknown) => ((error as { driverError?: unknown })?.driverError ?? error ?? {}) as { code?: string; message?: string };

export function isNodeFailure(error: unknown): boolean {
  const { code, message } = causeOf(error);
  if (code && (NODE_ERROR_CODES.has(code) || NODE_SQLSTATES.has(code) || MARIADB_NODE_CODES.has(code) || code.startsWith('08'))) return true;
  // "canceling statement due to conflict with recovery": the replica replayed a change that removed rows
  // the query needed. The same query succeeds on another node.
  if (isRecoveryConflict(code, message)) return true;
  return NODE_MESSAGES.test(message ?? '');
}

/**
 * A node failure that says the node is up but busy, or unlucky: its pool's queue timed out (pg-pool's
 * "timeout exceeded when trying to connect": every connection checked out), it is at max_connections, or a
 * replayed change cancelled this one statement. The read moves elsewhere; the node stays in rotation.
 * Excluding it would move its load to the next replica, exhaust that one too, and cascade to the primary
 * (issue 14, item 8); a node that stays slow is excluded by its probes (lag, timeouts).
 */
export function isNodeBusy(error: unknown): boolean {
  const { code, message } = causeOf(error);
  return code === '53300' || code === 'ER_CON_COUNT_ERROR' || isRecoveryConflict(code, message) || /timeout exceeded when trying to connect/i.test(message ?? '');
}

/** A node failure that says the node is down (refused, reset, shutting down, frozen): stop sending it reads. */
export function isNodeDown(error: unknown): boolean {
  return isNodeFailure(error) && !isNodeBusy(error);
}

function isRecoveryConflict(code: string | undefined, message: string | undefined): boolean {
  return code === '40001' && /conflict with recovery/i.test(message ?? '');
}

/**
 * The transaction was rolled back whole for a concurrent one's sake, and only running all of it again can succeed:
 * a deadlock (PostgreSQL's 40P01, MariaDB's 1213), a serialization failure (40001), or a Galera certification
 * conflict (1213 at COMMIT). Not a recovery conflict, which is one replica's, and moves the read elsewhere.
 */
export function isWriteConflict(error: unknown): boolean {
  const { code, message } = causeOf(error);
  return code === 'ER_LOCK_DEADLOCK' || code === '40P01' || (code === '40001' && !isRecoveryConflict(code, message));
}

/** SQLSTATE 57014: the server cancelled the statement (statement_timeout, or an operator's pg_cancel_backend). */
export function isQueryCancelled(error: unknown): boolean {
  return causeOf(error).code === '57014';
}

/** A write refused as read-only: on a node in recovery or with read_only=ON, or in a READ ONLY transaction. */
export function isReadOnlyRefusal(error: unknown): boolean {
  return READ_ONLY_CODES.has(causeOf(error).code ?? '');
}

export function describeFailure(error: unknown): string {
  const cause = (error as { driverError?: unknown })?.driverError ?? error;
  const { code, message } = (cause ?? {}) as { code?: string; message?: string };
  return `query failed: ${code ? `${code} ` : ''}${message ?? String(cause)}`;
}
