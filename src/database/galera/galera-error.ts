/**
 * What a MariaDB error means to a client of a Galera cluster (issue 13, part 3; docs/galera.md), read from the
 * fields mysql2 puts on its errors (`errno`, `sqlState`, `code`, `fatal`), which TypeORM's QueryFailedError copies
 * onto itself and also keeps as `driverError`.
 *
 * - `certification-conflict`: another node's transaction on the same rows was certified first. Galera rolled this
 *   whole transaction back (at COMMIT, or earlier when a replicated write aborted it), so the transaction, not the
 *   statement, may run again: 1213 ER_LOCK_DEADLOCK, SQLSTATE 40001.
 * - `node-unavailable`: this node cannot answer, another one may: 1047 (the node is not in the primary component,
 *   it lost quorum: "WSREP has not yet prepared node for application use"), 1927 (the server killed the
 *   connection), 1053 (the server is shutting down), or the connection itself failed or was lost.
 * - `other`: anything else, which neither a retry nor another node would change.
 */
export type GaleraFailure = 'certification-conflict' | 'node-unavailable' | 'other';

export const ER_LOCK_DEADLOCK = 1213;
export const SQLSTATE_SERIALIZATION_FAILURE = '40001';
/** ER_UNKNOWN_COM_ERROR, which Galera answers to every statement on a node without quorum. */
export const ER_WSREP_NOT_PREPARED = 1047;
export const ER_CONNECTION_KILLED = 1927;
export const ER_SERVER_SHUTDOWN = 1053;

const NODE_UNAVAILABLE_ERRNOS = new Set([ER_WSREP_NOT_PREPARED, ER_CONNECTION_KILLED, ER_SERVER_SHUTDOWN]);
/** mysql2's codes for a connection that could not be made or was lost: the socket's, and its own. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

interface MySqlErrorFields {
  errno?: unknown;
  sqlState?: unknown;
  code?: unknown;
  fatal?: unknown;
  driverError?: unknown;
}

export function classifyGaleraError(error: unknown): GaleraFailure {
  if (typeof error !== 'object' || error === null) return 'other';
  const fields = error as MySqlErrorFields;
  if (fields.errno === ER_LOCK_DEADLOCK || fields.sqlState === SQLSTATE_SERIALIZATION_FAILURE) return 'certification-conflict';
  if (typeof fields.errno === 'number' && NODE_UNAVAILABLE_ERRNOS.has(fields.errno)) return 'node-unavailable';
  if (typeof fields.code === 'string' && CONNECTION_ERROR_CODES.has(fields.code)) return 'node-unavailable';
  // mysql2 marks an error that closed the connection `fatal`; one with no errno came from the connection, not the
  // server ("Can't add new command when connection is in closed state").
  if (fields.fatal === true && fields.errno === undefined) return 'node-unavailable';
  if (fields.driverError !== undefined && fields.driverError !== error) return classifyGaleraError(fields.driverError);
  return 'other';
}

export const isCertificationConflict = (error: unknown): boolean => classifyGaleraError(error) === 'certification-conflict';
export const isNodeUnavailable = (error: unknown): boolean => classifyGaleraError(error) === 'node-unavailable';
