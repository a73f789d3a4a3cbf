import { failedRequests } from './realworld-suite';

const body = (text: string) => ({ data: [...Buffer.from(text)] });

describe('failedRequests', () => {
  it("should group newman's failures by request, with the answer each got, in the collection's order", () => {
    const run = {
      executions: [
        { cursor: { ref: 'a' }, item: { name: 'Register' }, response: { code: 201, stream: body('{"user":{}}') } },
        { cursor: { ref: 'b' }, item: { name: 'Login' }, response: { code: 422, stream: body('{"errors":{"body":["email or password is invalid"]}}') } },
        { cursor: { ref: 'c' }, item: { name: 'Current User' }, response: { code: 401, stream: body('{"type":"about:blank","title":"Unauthorized","detail":"Missing token"}') } },
      ],
      failures: [
        { error: { name: 'AssertionError', test: 'Response contains "user" property', message: 'expected false to be truthy' }, source: { name: 'Login' }, cursor: { ref: 'b' } },
        { error: { name: 'AssertionError', test: 'User has "token" property', message: 'expected false to be truthy' }, source: { name: 'Login' }, cursor: { ref: 'b' } },
        { error: { name: 'TypeError', message: "Cannot read properties of undefined (reading 'length')" }, source: { name: 'Current User' }, cursor: { ref: 'c' } },
      ],
    };

    expect(failedRequests(run)).toEqual([
      { request: 'Login', answer: '422 email or password is invalid', failed: ['Response contains "user" property', 'User has "token" property'] },
      { request: 'Current User', answer: '401 Missing token', failed: ["TypeError: Cannot read properties of undefined (reading 'length')"] },
    ]);
  });

  it('should say when a request got no answer', () => {
    const run = {
      executions: [{ cursor: { ref: 'a' }, item: { name: 'Register' } }],
      failures: [{ error: { name: 'Error', message: 'connect ECONNREFUSED' }, source: { name: 'Register' }, cursor: { ref: 'a' } }],
    };

    expect(failedRequests(run)).toEqual([{ request: 'Register', answer: 'no answer', failed: ['Error: connect ECONNREFUSED'] }]);
  });
});
