import { QueryFailedError } from 'typeorm';
import { DatabaseNotConnectedError } from '../database/database-not-connected.error';
import { PrimaryUnavailableError } from '../database/primary-unavailable.error';
import { ResourceNotFoundError } from '../errors/domain-errors';
import { toProblem } from './problem-details.filter';

describe('toProblem', () => {
  it('should map a domain error to its status, with its code and the request id', () => {
    expect(toProblem(new ResourceNotFoundError('article', 7), 'req-1')).toMatchObject({ status: 404, code: 'not_found', requestId: 'req-1' });
  });

  it('should see through TypeORM\'s QueryFailedError to the routing\'s own error (no primary during a failover → 503)', () => {
    const wrapped = new QueryFailedError('START TRANSACTION', [], new PrimaryUnavailableError('no node reachable'));

    expect(toProblem(wrapped, 'req-2')).toMatchObject({ status: 503, code: 'no_primary' });
  });

  it('should answer 503 for a node that failed under a statement, and 500 for anything unexpected', () => {
    const nodeFailure = new QueryFailedError('SELECT 1', [], Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' }));

    expect(toProblem(nodeFailure, 'r').status).toBe(503);
    expect(toProblem(new Error('a bug'), 'r').status).toBe(500);
    expect(toProblem(new DatabaseNotConnectedError(), 'r')).toMatchObject({ status: 503, code: 'database_not_connected' });
  });
});
