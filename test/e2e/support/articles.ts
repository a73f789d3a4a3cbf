import { Response } from './client';

/** Small factories for the example module's payloads. */
let sequence = 0;
export const articleDraft = (overrides: Partial<{ title: string; body: string }> = {}) => ({
  title: `Article ${++sequence} at ${Date.now()}`,
  body: 'Written to the primary, read from a replica.',
  ...overrides,
});

export function expectProblem(response: Response, status: number): void {
  expect({ status: response.status, type: response.headers['content-type'] }).toEqual({
    status,
    type: expect.stringContaining('application/problem+json'),
  });
  const body = response.json();
  expect(body).toMatchObject({ status, title: expect.any(String), requestId: response.headers['x-request-id'] });
}
