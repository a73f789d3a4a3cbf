import { isNodeBusy, isNodeDown, isNodeFailure, isReadOnlyRefusal, isWriteConflict } from './node-failure';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });
/** As mysql2 reports MariaDB's errors: the symbol as `code`, the number as `errno`. */
const mariaDbError = (code: string, errno: number, message: string) => Object.assign(new Error(message), { code, errno });

describe('isNodeFailure', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a server shutting down', pgError('57P01', 'terminating connection due to administrator command')],
    ['a recovery conflict', pgError('40001', 'canceling statement due to conflict with recovery')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a frozen server', new Error('Query read timeout')],
    ['a wrapped driver error', { driverError: pgError('08006', 'connection failure') }],
    ['a MariaDB connection lost', mariaDbError('PROTOCOL_CONNECTION_LOST', 0, 'Connection lost: The server closed the connection.')],
    ['a MariaDB server shutting down', mariaDbError('ER_SERVER_SHUTDOWN', 1053, 'Server shutdown in progress')],
    ['a MariaDB connection killed', mariaDbError('ER_CONNECTION_KILLED', 1927, 'Connection was killed')],
    ['a MariaDB server at max_connections', mariaDbError('ER_CON_COUNT_ERROR', 1040, 'Too many connections')],
    ['a Galera node without quorum', mariaDbError('ER_UNKNOWN_COM_ERROR', 1047, 'WSREP has not yet prepared node for application use')],
  ])('should retry elsewhere after %s', (_what, error) => {
    expect(isNodeFailure(error)).toBe(true);
  });

  it.each([
    ['a syntax error', pgError('42601', 'syntax error at or near "SELEC"')],
    ['a write reaching a replica', pgError('25006', 'cannot execute INSERT in a read-only transaction')],
    ['a serialization failure on the primary', pgError('40001', 'could not serialize access due to concurrent update')],
    ['a MariaDB syntax error', mariaDbError('ER_PARSE_ERROR', 1064, 'You have an error in your SQL syntax')],
    ['a MariaDB statement over max_statement_time', mariaDbError('ER_STATEMENT_TIMEOUT', 1969, 'Query execution was interrupted (max_statement_time exceeded)')],
  ])('should rethrow %s', (_what, error) => {
    expect(isNodeFailure(error)).toBe(false);
  });
});

// Issue 14, item 8: only a node that is down is excluded; load and bad luck only move the one read.
describe('isNodeDown', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a server shutting down', pgError('57P01', 'terminating connection due to administrator command')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a connection that timed out while connecting', new Error('Connection terminated due to connection timeout')],
    ['a frozen server', new Error('Query read timeout')],
  ])('should exclude the node after %s', (_what, error) => {
    expect(isNodeDown(error)).toBe(true);
  });

  it.each([
    ['an exhausted pool (its queue timeout)', new Error('timeout exceeded when trying to connect')],
    ['a recovery conflict', pgError('40001', 'canceling statement due to conflict with recovery')],
    ['a server at max_connections', pgError('53300', 'sorry, too many clients already')],
    ['a syntax error', pgError('42601', 'syntax error at or near "SELEC"')],
  ])('should not exclude the node after %s', (_what, error) => {
    expect(isNodeDown(error)).toBe(false);
  });
});

describe('isNodeBusy on MariaDB', () => {
  it('should keep a MariaDB server at max_connections in rotation (busy, not down)', () => {
    const error = mariaDbError('ER_CON_COUNT_ERROR', 1040, 'Too many connections');

    expect([isNodeBusy(error), isNodeDown(error)]).toEqual([true, false]);
  });
});

describe('isReadOnlyRefusal', () => {
  it.each([
    ['PostgreSQL in recovery', pgError('25006', 'cannot execute INSERT in a read-only transaction')],
    ['a MariaDB node with read_only=ON', mariaDbError('ER_OPTION_PREVENTS_STATEMENT', 1290, 'The MariaDB server is running with the --read-only option so it cannot execute this statement')],
    ['a MariaDB session in a READ ONLY transaction', mariaDbError('ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION', 1792, 'Cannot execute statement in a READ ONLY transaction')],
  ])('should say a write was refused as read-only by %s', (_what, error) => {
    expect(isReadOnlyRefusal(error)).toBe(true);
  });

  it('should not take a MariaDB duplicate key for a read-only refusal', () => {
    expect(isReadOnlyRefusal(mariaDbError('ER_DUP_ENTRY', 1062, "Duplicate entry 'a' for key 'email'"))).toBe(false);
  });
});

describe('isWriteConflict', () => {
  it.each([
    ['a Galera certification conflict', mariaDbError('ER_LOCK_DEADLOCK', 1213, 'Deadlock found when trying to get lock; try restarting transaction')],
    ['a PostgreSQL deadlock', pgError('40P01', 'deadlock detected')],
    ['a serialization failure', pgError('40001', 'could not serialize access due to concurrent update')],
    ['a wrapped conflict', { driverError: mariaDbError('ER_LOCK_DEADLOCK', 1213, 'Deadlock found') }],
  ])('should take %s for a conflict that a whole new run of the transaction may pass', (_what, error) => {
    expect(isWriteConflict(error)).toBe(true);
  });

  it.each([
    ['a recovery conflict on a replica', pgError('40001', 'canceling statement due to conflict with recovery')],
    ['a MariaDB lock wait timeout', mariaDbError('ER_LOCK_WAIT_TIMEOUT', 1205, 'Lock wait timeout exceeded')],
    ['a duplicate key', mariaDbError('ER_DUP_ENTRY', 1062, "Duplicate entry 'a' for key 'slug'")],
  ])('should not take %s for one', (_what, error) => {
    expect(isWriteConflict(error)).toBe(false);
  });
});
