import { isNodeDown, isNodeFailure } from './node-failure';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('isNodeFailure', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a server shutting down', pgError('57P01', 'terminating connection due to administrator command')],
    ['a recovery conflict', pgError('40001', 'canceling statement due to conflict with recovery')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a frozen server', new Error('Query read timeout')],
    ['a wrapped driver error', { driverError: pgError('08006', 'connection failure') }],
  ])('should retry elsewhere after %s', (_what, error) => {
    expect(isNodeFailure(error)).toBe(true);
  });

  it.each([
    ['a syntax error', pgError('42601', 'syntax error at or near "SELEC"')],
    ['a write reaching a replica', pgError('25006', 'cannot execute INSERT in a read-only transaction')],
    ['a serialization failure on the primary', pgError('40001', 'could not serialize access due to concurrent update')],
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
