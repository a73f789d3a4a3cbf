import { parseLsn } from '../../../src/database/lsn';
import { leader } from '../../../stack/native/stack';
import { request, Response } from './client';
import { onNode, until } from './stack-control';

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

export interface ClientOptions {
  /** A server of the stack to talk to directly (an app server, a test app); nginx through the stack's DNS by default. */
  baseUrl?: string;
  /** Whether the client sends back the consistency token of its last response, as a browser's cookie jar would. */
  sendsConsistencyToken?: boolean;
}

/**
 * A signed-in (or anonymous) Conduit user: sends its access token, and its consistency token as a browser's
 * cookie jar would (newman's does too).
 */
export class ConduitClient {
  accessToken?: string;
  consistencyToken?: string;
  username?: string;

  constructor(private readonly options: ClientOptions = {}) {}

  static async registered(overrides: Parameters<typeof newUser>[0] = {}, options: ClientOptions = {}): Promise<ConduitClient> {
    const client = new ConduitClient(options);
    const user = newUser(overrides);
    const response = await client.send('POST', '/api/users', { user });
    if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${response.body}`);
    client.accessToken = response.json().user.token;
    client.username = user.username;
    return client;
  }

  async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const sendsToken = this.options.sendsConsistencyToken ?? true;
    const response = await request(method, path, {
      baseUrl: this.options.baseUrl,
      body,
      headers: {
        ...(this.accessToken ? { authorization: `Token ${this.accessToken}` } : {}),
        ...(sendsToken && this.consistencyToken ? { 'x-consistency-token': this.consistencyToken } : {}),
        ...headers,
      },
    });
    const token = response.headers['x-consistency-token'];
    if (typeof token === 'string') this.consistencyToken = token;
    return response;
  }

  async publish(overrides: Parameters<typeof newArticle>[0] = {}): Promise<{ slug: string; title: string; body: string }> {
    const response = await this.send('POST', '/api/articles', { article: newArticle(overrides) });
    if (response.status !== 201) throw new Error(`publishing failed: ${response.status} ${response.body}`);
    return response.json().article;
  }

  /** The same user, with the tokens it holds now, talking to `baseUrl` directly (one app server, bypassing nginx). */
  at(baseUrl: string): ConduitClient {
    const direct = new ConduitClient({ ...this.options, baseUrl });
    Object.assign(direct, { accessToken: this.accessToken, consistencyToken: this.consistencyToken, username: this.username });
    return direct;
  }

  /** The WAL position of the consistency token it holds. */
  get lsn(): bigint | undefined {
    return this.consistencyToken ? parseLsn(this.consistencyToken.split('.')[3]) : undefined;
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

let listSerial = 0;
/**
 * A GET that reaches a database node: Conduit's article lists are never cached (they carry per-viewer flags),
 * and each call asks for another page besides.
 */
export const uncachedListPath = () => {
  const n = listSerial++;
  return `/api/articles?limit=${1 + (n % 20)}&offset=${n % 100}`;
};

const TABLES = ['conduit_user', 'conduit_follow', 'conduit_article', 'conduit_tag', 'conduit_article_tag', 'conduit_favorite', 'conduit_comment'];

/** Row counts of every Conduit table, on the node that leads now. */
export async function conduitRows(): Promise<Record<string, number>> {
  const primary = (await leader()) ?? 'db-primary';
  const [row] = await onNode<Record<string, number>>(primary, `SELECT ${TABLES.map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(', ')}`);
  return row;
}

/** Waits until every node named has the article as the leader has it now (or has its deletion). */
export async function articleReplicated(slug: string, replicas: readonly string[] = ['db-replica-1', 'db-replica-2']): Promise<void> {
  const primary = (await leader()) ?? 'db-primary';
  const sql = 'SELECT title, description, body, updated_at FROM conduit_article WHERE slug = $1';
  const [expected] = await onNode(primary, sql, [slug]);
  await until(`article ${slug} on ${replicas.join(' and ')}`, async () => {
    const found = await Promise.all(replicas.map((r) => onNode(r, sql, [slug])));
    return found.every((rows) => JSON.stringify(rows[0]) === JSON.stringify(expected));
  });
}
