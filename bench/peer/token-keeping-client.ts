import { request, Response } from '../../stack/native/http-client';
import { PUBLIC_HOSTNAME } from '../../stack/topology';

const TOKEN_HEADER = 'x-consistency-token';

/**
 * The cookies a response leaves in `jar`: each `Set-Cookie`'s name=value, attributes aside; an expired or
 * emptied cookie (Max-Age=0, an empty value) is dropped, as a browser does.
 */
export function keepCookies(jar: Map<string, string>, setCookie: string | string[] | undefined): void {
  for (const line of typeof setCookie === 'string' ? [setCookie] : (setCookie ?? [])) {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const equals = pair.indexOf('=');
    if (equals <= 0) continue;
    const [name, value] = [pair.slice(0, equals), pair.slice(equals + 1)];
    const expired = attributes.some((a) => /^max-age=\s*(0|-\d+)$/i.test(a));
    if (expired || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

/**
 * A user of the API at `baseUrl` (an address of the stack's nginx) who keeps what the app hands back for
 * read-your-writes: the X-Consistency-Token header, sent back as that header, and the cookies, sent back as a
 * browser would. Against a server that issues neither it is a plain client. Signed in (`registered`), it sends
 * its Conduit access token too.
 */
export class TokenKeepingClient {
  private token?: string;
  private accessToken?: string;
  private readonly cookies = new Map<string, string>();

  constructor(private readonly baseUrl: string) {}

  /** A new Conduit user, registered through `baseUrl`. */
  static async registered(baseUrl: string, username: string): Promise<TokenKeepingClient> {
    const client = new TokenKeepingClient(baseUrl);
    const response = await client.send('POST', '/api/users', { user: { username, email: `${username}@example.test`, password: 'peer-comparison' } });
    if (response.status !== 201) throw new Error(`registering ${username} answered ${response.status}: ${response.body}`);
    client.accessToken = response.json<{ user: { token: string } }>().user.token;
    return client;
  }

  async send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { host: PUBLIC_HOSTNAME };
    if (this.accessToken) headers.authorization = `Token ${this.accessToken}`;
    if (this.token) headers[TOKEN_HEADER] = this.token;
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await request(method, path, { baseUrl: this.baseUrl, body, headers });
    const token = response.headers[TOKEN_HEADER];
    if (typeof token === 'string') this.token = token;
    keepCookies(this.cookies, response.headers['set-cookie']);
    return response;
  }

  /** Whether the server has handed this client a token (only the replication-aware app does). */
  get holdsToken(): boolean {
    return this.token !== undefined || this.cookies.size > 0;
  }
}
