import { request, Response } from './client';

/** Small factories and a client for the Conduit API (/api), as a RealWorld front end uses it. */
let sequence = 0;
const unique = () => `${Date.now().toString(36)}${(++sequence).toString(36)}`;

export const newUser = (overrides: Partial<{ username: string; email: string; password: string }> = {}) => {
  const username = `u_${unique()}`;
  return { username, email: `${username}@example.test`, password: 'correct horse battery', ...overrides };
};

export const newArticle = (overrides: Partial<{ title: string; description: string; body: string; tagList: string[] }> = {}) => ({
  title: `How to read your writes ${unique()}`,
  description: 'Replicas lag; tokens do not.',
  body: 'Write to the primary, read from a replica that has replayed your write.',
  tagList: ['replication', `tag${unique()}`],
  ...overrides,
});

/**
 * A signed-in (or anonymous) Conduit user: sends its access token, and its consistency token as a browser's
 * cookie jar would (newman's does too).
 */
export class ConduitClient {
  accessToken?: string;
  consistencyToken?: string;
  username?: string;

  static async registered(overrides: Parameters<typeof newUser>[0] = {}): Promise<ConduitClient> {
    const client = new ConduitClient();
    const user = newUser(overrides);
    const response = await client.send('POST', '/api/users', { user });
    if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${response.body}`);
    client.accessToken = response.json().user.token;
    client.username = user.username;
    return client;
  }

  async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const response = await request(method, path, {
      body,
      headers: {
        ...(this.accessToken ? { authorization: `Token ${this.accessToken}` } : {}),
        ...(this.consistencyToken ? { 'x-consistency-token': this.consistencyToken } : {}),
        ...headers,
      },
    });
    const token = response.headers['x-consistency-token'];
    if (typeof token === 'string') this.consistencyToken = token;
    return response;
  }

  async publish(overrides: Parameters<typeof newArticle>[0] = {}): Promise<{ slug: string; title: string }> {
    const response = await this.send('POST', '/api/articles', { article: newArticle(overrides) });
    if (response.status !== 201) throw new Error(`publishing failed: ${response.status} ${response.body}`);
    return response.json().article;
  }
}

/** A Conduit error: RFC 9457 problem+json with RealWorld's errors.body and the request id. */
export function expectConduitProblem(response: Response, status: number): void {
  expect({ status: response.status, type: response.headers['content-type'] }).toEqual({ status, type: expect.stringContaining('application/problem+json') });
  expect(response.json()).toMatchObject({
    status,
    title: expect.any(String),
    requestId: response.headers['x-request-id'],
    errors: { body: expect.arrayContaining([expect.any(String)]) },
  });
}
