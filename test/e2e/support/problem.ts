import { Response } from './client';

/** An RFC 9457 problem+json with the request id: every error the app or nginx answers. */
export function expectProblem(response: Response, status: number): void {
  expect({ status: response.status, type: response.headers['content-type'] }).toEqual({
    status,
    type: expect.stringContaining('application/problem+json'),
  });
  const body = response.json();
  expect(body).toMatchObject({ status, title: expect.any(String), requestId: response.headers['x-request-id'] });
}
