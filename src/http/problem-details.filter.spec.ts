import { BadRequestException, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DatabaseNotConnectedError } from '../database/database-not-connected.error';
import { PrimaryUnavailableError } from '../database/primary-unavailable.error';
import { ReplicaUnavailableError } from '../database/replica-unavailable.error';
import { RequestContext } from '../request-context/request-context';
import { AlreadyTakenError, AuthenticationRequiredError, InvalidTokenError, NotTheAuthorError, ResourceNotFoundError } from '../errors/domain-errors';
import { asRealWorldProblem, toProblem } from './problem-details.filter';

describe('toProblem', () => {
  it.each([
    [new AuthenticationRequiredError(), 401, 'authentication_required'],
    [new InvalidTokenError(), 401, 'invalid_token'],
    [new NotTheAuthorError('article'), 403, 'not_the_author'],
    [new ResourceNotFoundError('article', 'x'), 404, 'not_found'],
    [new AlreadyTakenError('email'), 422, 'already_taken'],
  ])('should map %p to %i with its stable code', (error, status, code) => {
    expect(toProblem(error, 'req-1')).toMatchObject({ status, code, requestId: 'req-1', type: 'about:blank' });
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

  it('should answer 503 with a code for a statement the database cancelled (a report past its time limit), not 500', () => {
    const timedOut = new QueryFailedError('SELECT …', [], Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }));

    expect(toProblem(timedOut, 'r')).toMatchObject({ status: 503, code: 'query_cancelled' });
  });

  it('should answer a write conflict 409, saying whether an earlier write of the request was saved', () => {
    const conflict = Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 });
    const context = new RequestContext('req-3');

    const whole = RequestContext.run(context, () => toProblem(conflict, 'req-3'));
    context.session.recordCommit();
    const partial = RequestContext.run(context, () => toProblem(conflict, 'req-3'));

    expect(whole).toMatchObject({ status: 409, code: 'write_conflict', detail: expect.stringMatching(/nothing of it was saved/) });
    expect(partial).toMatchObject({ status: 409, code: 'write_conflict_partial', detail: expect.stringMatching(/earlier writes of it were saved/) });
  });

  it('should keep the rest of the API’s validation errors a 400 with an errors list', () => {
    expect(toProblem(new BadRequestException(['title must be a string']), 'req-1')).toMatchObject({ status: 400, errors: ['title must be a string'] });
  });
});

describe('asRealWorldProblem', () => {
  it('should make a validation 400 a 422 with the messages in errors.body', () => {
    const problem = asRealWorldProblem(toProblem(new BadRequestException(['user.email must be an email']), 'req-2'));

    expect(problem).toMatchObject({ status: 422, title: 'Unprocessable Entity', requestId: 'req-2', errors: { body: ['user.email must be an email'] } });
  });

  it('should keep other statuses and put the detail in errors.body', () => {
    expect(asRealWorldProblem(toProblem(new NotTheAuthorError('comment'), 'req-3'))).toMatchObject({
      status: 403,
      code: 'not_the_author',
      errors: { body: ['only its author may change this comment'] },
    });
    expect(asRealWorldProblem(toProblem(new NotFoundException(), 'req-4'))).toMatchObject({ status: 404, errors: { body: [expect.any(String)] } });
  });
});

describe('toProblem for a database that is unavailable', () => {
  it.each([
    ['no primary', new PrimaryUnavailableError('db-primary (10.213.0.21:5432): connect ECONNREFUSED; db-replica-1 is in recovery')],
    ['no replica', new ReplicaUnavailableError('no database node reachable yet (db-replica-2: password authentication failed)')],
  ])('should tell the client to retry, not which nodes it has or what they answered (%s)', (_what, error) => {
    const body = JSON.stringify(toProblem(error, 'req-5'));

    expect(toProblem(error, 'req-5')).toMatchObject({ status: 503, detail: expect.stringMatching(/retry/) });
    expect(body).not.toMatch(/db-(primary|replica)|10\.213|ECONNREFUSED|password|recovery/);
  });
});
