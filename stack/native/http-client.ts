import { request as httpRequest, Agent } from 'node:http';
import { LookupFunction } from 'node:net';
import { stackResolver } from './services';
import { PUBLIC_HOSTNAME } from '../topology';

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Resolves names the way the stack's client does: through the stack's DNS server, never this machine's. */
const stackLookup: LookupFunction = (hostname, options, callback) => {
  stackResolver()
    .resolve4(hostname)
    .then(
      (addresses) =>
        (options as { all?: boolean }).all
          ? (callback as (e: null, a: { address: string; family: number }[]) => void)(null, addresses.map((address) => ({ address, family: 4 })))
          : callback(null, addresses[0], 4),
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
};

const agent = new Agent({ keepAlive: true, lookup: stackLookup });

/** An HTTP request as a user makes it: to http://api.example.test, resolved by the stack DNS, through nginx. */
export function request(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; baseUrl?: string } = {}): Promise<Response> {
  const url = new URL(path, options.baseUrl ?? `http://${PUBLIC_HOSTNAME}`);
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        agent: options.baseUrl ? undefined : agent,
        headers: { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export const get = (path: string, headers?: Record<string, string>) => request('GET', path, { headers });
export const post = (path: string, body: unknown) => request('POST', path, { body });

export function closeClient(): void {
  agent.destroy();
}
