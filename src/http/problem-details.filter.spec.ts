import { BadRequestException, NotFoundException } from '@nestjs/common';
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
