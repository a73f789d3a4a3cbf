import { closeClient, operatorsUrl, request, type Response } from './support/client';
import { ConduitClient } from './support/conduit';
import { until } from './support/stack-control';

// nginx's edge cache (nginx/conf.d/api.conf, docs/edge-cache.md), through the stack's DNS and nginx as a user
// reaches it. The answers' X-Edge-Cache says where each came from.

/** proxy_cache_valid 200 1s, counted by nginx in whole seconds: an entry is served for at most 2 s. */
const EDGE_ENTRY_MAX_AGE_MS = 2_000;

const edgeOf = (response: Response) => response.headers['x-edge-cache'];
const bodyOf = (response: Response): string => response.json().article.body;
const anonymousGet = (path: string, headers: Record<string, string> = {}) => request('GET', path, { headers });

/** Anonymous reads of `path` until one is an edge HIT: the edge holds an answer for it, stored ≤ 2 s ago. */
const edgeHolds = (path: string) => until(`an edge HIT for ${path}`, async () => {
  const response = await anonymousGet(path);
  return edgeOf(response) === 'HIT' && response;
});

/** How a client that wrote comes back for its read: its JWT, its consistency token, or the token's cookie. */
const credentials = {
  'its JWT (Authorization)': (writer: ConduitClient) => ({ authorization: `Token ${writer.accessToken}` }),
  'its X-Consistency-Token': (writer: ConduitClient) => ({ 'x-consistency-token': writer.consistencyToken! }),
  'its consistency_token cookie': (writer: ConduitClient) => ({ cookie: `consistency_token=${writer.consistencyToken}` }),
};

describe('The edge cache (nginx in front of the apps)', () => {
  afterAll(() => closeClient());

  describe('anonymous GETs of the API on the public port', () => {
    it('should be answered from the edge after the first, with the same body and no consistency token', async () => {
      const author = await ConduitClient.registered();
      const { slug } = await author.publish();

      const first = await anonymousGet(`/api/articles/${slug}`);
      const hit = await edgeHolds(`/api/articles/${slug}`);

      expect(first.status).toBe(200);
      expect(edgeOf(first)).toBe('MISS');
      expect(hit.body).toBe(first.body);
      for (const response of [first, hit]) {
        expect(response.headers['x-consistency-token']).toBeUndefined();
        expect(response.headers['set-cookie']).toBeUndefined();
      }
    });

    it("should keep each query string's answer apart", async () => {
      const first = await edgeHolds('/api/articles?limit=1');
      const second = await anonymousGet('/api/articles?limit=2');

      expect(second.json().articles).toHaveLength(Math.min(2, first.json().articlesCount));
      expect(first.json().articles).toHaveLength(1);
    });

    it("should give each answer from the edge the client's own request id", async () => {
      await edgeHolds('/api/tags');

      const hit = await anonymousGet('/api/tags', { 'x-request-id': 'edge-hit-1' });

      expect(edgeOf(hit)).toBe('HIT');
      expect(hit.headers['x-request-id']).toBe('edge-hit-1');
    });

    it('should show a write to anonymous readers once the entry stored before it expires (1 s; at most 2 s, as nginx counts)', async () => {
      const author = await ConduitClient.registered();
      const { slug } = await author.publish({ body: 'before' });
      const path = `/api/articles/${slug}`;
      await edgeHolds(path);

      expect((await author.send('PUT', path, { article: { body: 'after' } })).status).toBe(200);
      const written = Date.now();
      const seen: string[] = [];
      while (Date.now() - written <= EDGE_ENTRY_MAX_AGE_MS) seen.push(bodyOf(await anonymousGet(path)));
      const afterExpiry = await anonymousGet(path);

      expect(bodyOf(afterExpiry)).toBe('after');
      // Once a reader saw the write, none sees the older answer again.
      expect(seen.slice(seen.indexOf('after'))).not.toContain('before');
    });

    it.each([
      ['an unknown article (404)', '/api/articles/no-such-article-edge'],
      ['a route that needs a signed-in user (401)', '/api/user'],
    ])('should not store %s', async (_what, path) => {
      const answers = [await anonymousGet(path), await anonymousGet(path)];

      expect(answers.map((a) => a.status >= 400)).toEqual([true, true]);
      expect(answers.map(edgeOf)).toEqual(['MISS', 'MISS']);
    });
  });

  describe('what the edge passes straight to the apps (BYPASS)', () => {
    it.each(Object.keys(credentials) as (keyof typeof credentials)[])('should neither serve nor store a read that carries %s', async (kind) => {
      const reader = await ConduitClient.registered();
      await reader.send('PUT', '/api/user', { user: { bio: 'holds a token' } });
      const headers = credentials[kind](reader);

      const answers = [await anonymousGet('/api/tags', headers), await anonymousGet('/api/tags', headers)];

      expect(answers.map(edgeOf)).toEqual(['BYPASS', 'BYPASS']);
    });

    it('should not let a client declare its own read shareable: nginx sets X-Edge-Cacheable, and the read keeps its token', async () => {
      const reader = await ConduitClient.registered();

      const read = await reader.send('GET', '/api/tags', undefined, { 'x-edge-cacheable': '1' });

      expect(edgeOf(read)).toBe('BYPASS');
      expect(read.headers['x-consistency-token']).toEqual(expect.any(String));
    });

    it('should never store a write', async () => {
      const author = await ConduitClient.registered();

      const created = await author.send('POST', '/api/articles', { article: { title: `edge ${Date.now()}`, description: 'd', body: 'b' } });

      expect(created.status).toBe(201);
      expect(edgeOf(created)).toBe('BYPASS');
    });

    it.each([
      ['the probes', '/health/ready', undefined],
      ["the API on the operators' port", '/api/tags', operatorsUrl()],
      ["the operators' pages", '/status', operatorsUrl()],
      ["the OpenAPI UI's document", '/docs/swagger-ui-init.js', operatorsUrl()],
    ])('should pass %s through every time', async (_what, path, baseUrl) => {
      const answers = [await request('GET', path, { baseUrl }), await request('GET', path, { baseUrl })];

      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(answers.map(edgeOf)).toEqual(['BYPASS', 'BYPASS']);
    });
  });

  describe('a client that writes, then reads with its JWT, its token or its cookie', () => {
    it('should never get an answer from the edge older than its write, while the edge holds one for anonymous readers', async () => {
      const author = await ConduitClient.registered();
      const { slug } = await author.publish({ body: 'v0' });
      const path = `/api/articles/${slug}`;
      const stale: string[] = [];
      let olderAnswersAnonymousReadersGot = 0;

      for (let version = 1; version <= 5; version++) {
        await edgeHolds(path);
        expect((await author.send('PUT', path, { article: { body: `v${version}` } })).status).toBe(200);

        for (const [kind, headersOf] of Object.entries(credentials)) {
          const read = await anonymousGet(path, headersOf(author));
          if (bodyOf(read) !== `v${version}`) stale.push(`${kind} read ${bodyOf(read)} (X-Edge-Cache ${edgeOf(read)}) after writing v${version}`);
        }
        // The same read without them: the edge's older answer, which the reads above must not have been given.
        if (bodyOf(await anonymousGet(path)) !== `v${version}`) olderAnswersAnonymousReadersGot++;
      }

      expect(stale).toEqual([]);
      expect(olderAnswersAnonymousReadersGot).toBeGreaterThan(0);
    });
  });

  describe("the operators' static files", () => {
    it.each(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js'])('should serve %s from the edge with a day-long Cache-Control', async (path) => {
      const answers = [await request('GET', path, { baseUrl: operatorsUrl() }), await request('GET', path, { baseUrl: operatorsUrl() })];

      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(edgeOf(answers[1])).toBe('HIT');
      expect(answers.map((a) => a.headers['cache-control'])).toEqual(['public, max-age=86400', 'public, max-age=86400']);
    });

    it("should serve the status page's script by its fingerprinted address, from the edge with a day-long Cache-Control", async () => {
      const page = await request('GET', '/status', { baseUrl: operatorsUrl() });
      const [, scriptUrl] = /<script src="([^"]+)"><\/script>/.exec(page.body) ?? [];

      const answers = [await request('GET', scriptUrl, { baseUrl: operatorsUrl() }), await request('GET', scriptUrl, { baseUrl: operatorsUrl() })];

      expect(scriptUrl).toMatch(/^\/status\/status\.js\?v=[0-9a-f]{12}$/);
      expect(page.headers['cache-control']).toBeUndefined();
      expect(edgeOf(answers[1])).toBe('HIT');
      expect(answers[1].headers['cache-control']).toBe('public, max-age=86400');
    });
  });
});
