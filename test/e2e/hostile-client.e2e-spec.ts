import { readFileSync } from 'node:fs';
import { paths } from '../../stack/native/paths';
import { service } from '../../stack/topology';
import { closeClient, get, operatorsUrl, request, Response } from './support/client';
import { ConduitClient, conduitRows } from './support/conduit';
import { expectProblem } from './support/problem';
import { until } from './support/stack-control';
import { TestApp } from './support/test-app';

/** nginx's port for operators (metrics, docs, the status page, replication detail): private addresses only. */
const OPERATORS = operatorsUrl();
const appUrl = (app: string) => `http://${service(app).address}:3000`;
/** What a request id may be (nginx and the app agree): nothing a log, a header or a JSON body must escape. */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The same id in the header and the body, and one that needs no escaping anywhere. */
function expectOneSaneId(response: Response): string {
  const id = response.headers['x-request-id'];
  expect(id).toEqual(expect.stringMatching(SANE_ID));
  if (/problem\+json/.test(String(response.headers['content-type']))) expect(response.json().requestId).toBe(id);
  return id as string;
}

describe('What a hostile client can do (issue 14), through nginx on the stack', () => {
  afterAll(() => closeClient());

  describe('errors nginx and Fastify answer themselves are problem+json with the request id', () => {
    const cases: [what: string, path: string, headers: Record<string, string>, status: number][] = [
      ['a path that climbs out with ..%2f', '/..%2f..%2fetc/passwd', {}, 400],
      ['a NUL byte in the path', '/health/live%00', {}, 400],
      ['a 20 kB cookie', '/api/tags', { cookie: `a=${'x'.repeat(20_000)}` }, 400],
      ['a 10 kB URL', `/api/articles/${'a'.repeat(10_000)}`, {}, 414],
      ['a malformed percent-encoding (Fastify’s router)', '/health/%E0%A4%A', {}, 400],
    ];

    const table = cases.map(([what, path, headers, status]) => ({ what, path, headers, status }));

    it.each(table)('should answer $what with a $status problem+json that does not echo the URL', async ({ path, headers, status }) => {
      const response = await request('GET', path, { headers });

      expectProblem(response, status);
      expectOneSaneId(response);
      expect(response.body.length).toBeLessThan(1000);
    });

    it('should answer Fastify’s own 414 (a path parameter over its limit, straight to an app) as problem+json', async () => {
      const response = await request('GET', `/api/articles/${'a'.repeat(9000)}`, { baseUrl: appUrl('app-1') });

      expectProblem(response, 414);
      expect(response.body).not.toContain('aaaaaaaaaa');
    });
  });

  describe('request ids', () => {
    const hostile: [what: string, id: string][] = [
      ['markup', '<script>alert(1)</script>'],
      ['a JSON breakout', 'x","status":200,"injected":"y'],
      ['a 200-character id', 'a'.repeat(200)],
    ];

    it.each(hostile)('should replace %s with one sane id, the same in header and body (app errors)', async (_what, id) => {
      const response = await get('/api/articles/no-such-article-00000000', { 'x-request-id': id });

      expect(response.status).toBe(404);
      expect(expectOneSaneId(response)).not.toBe(id);
    });

    it.each(hostile)('should replace %s with one sane id in nginx’s own problem bodies (413)', async (_what, id) => {
      const response = await request('POST', '/api/articles', { body: 'x'.repeat(1_200_000), headers: { 'x-request-id': id } });

      expectProblem(response, 413);
      expect(response.json()).not.toHaveProperty('injected');
      expect(expectOneSaneId(response)).not.toBe(id);
    });

    it('should log the id it answered with, never the client’s (nginx’s access log)', async () => {
      const hostileId = `<script>${Date.now()}</script>`;

      const response = await get('/api/articles/no-such-article-00000000', { 'x-request-id': hostileId });

      const id = expectOneSaneId(response);
      const log = await until('the access log line', async () => {
        const text = readFileSync(paths.log('lb'), 'utf8');
        return text.includes(`"requestId":"${id}"`) && text;
      }, 5000);
      expect(log).not.toContain(hostileId);
    });

    it('should keep a sane id the client sent, in header and body', async () => {
      const response = await get('/api/articles/no-such-article-00000000', { 'x-request-id': 'trace-from-client.1:2' });

      expect(response.headers['x-request-id']).toBe('trace-from-client.1:2');
      expect(response.json().requestId).toBe('trace-from-client.1:2');
    });
  });

  describe('what the public name serves', () => {
    const operatorsOnly = ['/metrics', '/docs', '/docs-json', '/status', '/status/topology.json', '/health/replication'];

    it.each(operatorsOnly)('should answer %s with a 404 problem+json on the public name', async (path) => {
      const response = await get(path);

      expectProblem(response, 404);
      expect(response.body).not.toMatch(/db-(primary|replica)|app-[12]|10\.213\./);
    });

    it.each(operatorsOnly)('should serve %s on the operators’ listener', async (path) => {
      const response = await request('GET', path, { baseUrl: OPERATORS });

      expect(response.status).toBe(200);
    });

    it.each(['/health/live', '/health/ready', '/nginx-health'])('should serve %s on the public name (probes)', async (path) => {
      expect((await get(path)).status).toBe(200);
    });
  });

  describe('POST with a body that is not JSON', () => {
    const types = ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x'];

    it.each(types)('should answer %s with 415 problem+json and write nothing', async (type) => {
      const author = await ConduitClient.registered();
      const before = await conduitRows();

      const response = await author.send('POST', '/api/articles', 'article[title]=t&article[description]=d&article[body]=b', { 'content-type': type });

      expect(response.status).toBe(415);
      expectProblem(response, 415);
      expect(await conduitRows()).toEqual(before);
    });
  });

  describe('the bad-input matrix on the endpoints beside Conduit', () => {
    // Each endpoint on the listener that serves it (the operators' endpoints on theirs, the probes on the public name).
    const endpoints: [path: string, baseUrl: string | undefined][] = [
      ['/health/live', undefined],
      ['/health/ready', undefined],
      ['/health/replication', OPERATORS],
      ['/metrics', OPERATORS],
      ['/status', OPERATORS],
      ['/status/topology.json', OPERATORS],
      ['/status/status.js', OPERATORS],
      ['/docs-json', OPERATORS],
    ];
    type Row = { what: string; method: string; path: string; baseUrl?: string; body: unknown; headers: Record<string, string>; status: number };
    const rows = endpoints.flatMap(([path, baseUrl]): Row[] => [
      { what: 'POST with JSON', method: 'POST', path, baseUrl, body: '{"a":1}' as unknown, headers: {}, status: 404 },
      { what: 'DELETE', method: 'DELETE', path, baseUrl, body: undefined, headers: {}, status: 404 },
      { what: 'POST with a form', method: 'POST', path, baseUrl, body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 404 },
      // The body is read (and refused) before the route is looked up.
      { what: 'POST with 100 000 levels of nesting', method: 'POST', path, baseUrl, body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, headers: {}, status: 400 },
      { what: 'a NUL byte in the path', method: 'GET', path: `${path}%00`, baseUrl, body: undefined, headers: {}, status: 400 },
      { what: 'a path over 8 KiB', method: 'GET', path: `${path}/${'a'.repeat(9000)}`, baseUrl, body: undefined, headers: {}, status: 414 },
      { what: 'a hostile request id', method: 'GET', path: `${path}?x=%00`, baseUrl, body: undefined, headers: { 'x-request-id': '<b>"' }, status: 200 },
    ]);
    const table = rows.map((row, i) => ({ ...row, endpoint: endpoints.find(([path]) => row.path.startsWith(path))![0], i }));

    it.each(table)('$endpoint: $what → $status, with a sane request id', async ({ method, path, baseUrl, body, headers, status }) => {
      const response = await request(method, path, { baseUrl, body, headers });

      expect(response.status).toBe(status);
      if (status !== 200) expectProblem(response, status);
      expectOneSaneId(response);
    });
  });

  describe('the consistency cookie', () => {
    let app: TestApp;

    beforeAll(async () => {
      app = await TestApp.start();
    });

    afterAll(() => app.stop());

    const cookieOf = async (headers: Record<string, string>) => {
      const client = await ConduitClient.registered({}, { baseUrl: app.baseUrl });
      const written = await client.send('PUT', '/api/user', { user: { bio: 'cookie' } }, headers);
      return String(written.headers['set-cookie'] ?? '');
    };

    it('should be Secure when the load balancer says the request came over https', async () => {
      expect(await cookieOf({ 'x-forwarded-proto': 'https' })).toMatch(/consistency_token=[^;]+;.*\bSecure\b/);
    });

    it('should not be Secure over plain http (a browser would drop it)', async () => {
      expect(await cookieOf({})).not.toMatch(/\bSecure\b/);
    });
  });
});
