import SwaggerParser from '@apidevtools/swagger-parser';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { leader } from '../../stack/native/stack';
import { closeClient, get, operatorsUrl, request } from './support/client';
import { ConduitClient, conduitRows, expectConduitProblem, newArticle, newUser } from './support/conduit';
import { handMadeJwt, stackJwtSecret } from './support/jwt';
import { expectProblem } from './support/problem';
import { caughtUp, delayReplicas, REPLICAS, undelayReplicas } from './support/replica-delay';
import { onNode, pauseReplay, resumeReplay, stackRedisUrl } from './support/stack-control';

const now = () => Math.floor(Date.now() / 1000);

describe('The Conduit API (/api) through nginx', () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(stackRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  });

  afterAll(() => {
    redis.disconnect();
    closeClient();
  });

  describe('POST /api/users and /api/users/login', () => {
    it('should register a user whose token GET /api/user accepts, and store no plain password', async () => {
      const user = newUser();
      const client = new ConduitClient();

      const registered = await client.send('POST', '/api/users', { user });
      client.accessToken = registered.json().user.token;
      const current = await client.send('GET', '/api/user');

      expect(registered.status).toBe(201);
      expect(current.json()).toEqual({ user: { email: user.email, username: user.username, bio: '', image: '', token: expect.any(String) } });
      const [stored] = await onNode<{ password_hash: string }>((await leader()) ?? 'db-primary', 'SELECT password_hash FROM conduit_user WHERE username = $1', [user.username]);
      expect(stored.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
      expect(stored.password_hash).not.toContain(user.password);
    });

    it('should log in with the email in any case, and refuse a wrong password with a 401 problem', async () => {
      const user = newUser();
      await request('POST', '/api/users', { body: { user } });

      const good = await request('POST', '/api/users/login', { body: { user: { email: user.email.toUpperCase(), password: user.password } } });
      const bad = await request('POST', '/api/users/login', { body: { user: { email: user.email, password: 'not the password' } } });

      expect(good.status).toBe(200);
      expectConduitProblem(bad, 401);
      expect(bad.json().code).toBe('invalid_credentials');
    });

    it('should answer 422 with errors.body when the username or email is taken', async () => {
      const user = newUser();
      await request('POST', '/api/users', { body: { user } });

      const again = await request('POST', '/api/users', { body: { user: { ...user, email: `other.${user.email}` } } });

      expectConduitProblem(again, 422);
      expect(again.json().errors.body).toEqual(['username has already been taken']);
    });

    it('should accept a login right after registering without the consistency token (the primary decides)', async () => {
      const user = newUser();
      await request('POST', '/api/users', { body: { user } });

      const login = await request('POST', '/api/users/login', { body: { user: { email: user.email, password: user.password } } });

      expect(login.status).toBe(200);
    });
  });

  describe('GET /api/articles/:slug, cached for everyone and flagged per viewer', () => {
    it('should never carry one viewer’s favorited or following to another', async () => {
      const [author, fan, stranger] = await Promise.all([ConduitClient.registered(), ConduitClient.registered(), ConduitClient.registered()]);
      const { slug } = await author.publish();
      await fan.send('POST', `/api/articles/${slug}/favorite`);
      await fan.send('POST', `/api/profiles/${author.username}/follow`);

      const views = [];
      for (const viewer of [fan, stranger, new ConduitClient(), fan, author]) views.push((await viewer.send('GET', `/api/articles/${slug}`)).json().article);

      expect(views.map((a) => [a.favorited, a.author.following, a.favoritesCount])).toEqual([
        [true, true, 1],
        [false, false, 1],
        [false, false, 1],
        [true, true, 1],
        [false, false, 1],
      ]);
      const entry = JSON.parse((await redis.get(`conduit:v1:article:${slug}`)) ?? 'null');
      expect(entry?.v).toMatchObject({ slug, favoritesCount: 1 });
      expect(Object.keys(entry.v)).not.toEqual(expect.arrayContaining(['favorited']));
      expect(JSON.stringify(entry.v)).not.toContain('following');
    });

    it('should show an update and a favourite at once to their writer, on either app server', async () => {
      const author = await ConduitClient.registered();
      const { slug } = await author.publish();
      await author.send('GET', `/api/articles/${slug}`); // fills the cache

      const updated = await author.send('PUT', `/api/articles/${slug}`, { article: { body: 'Edited.' } });
      const favorited = await author.send('POST', `/api/articles/${slug}/favorite`);
      const reads = await Promise.all([1, 2, 3, 4].map(() => author.send('GET', `/api/articles/${slug}`)));

      expect(updated.json().article.body).toBe('Edited.');
      expect(favorited.json().article).toMatchObject({ favorited: true, favoritesCount: 1 });
      expect(reads.map((r) => [r.json().article.body, r.json().article.favoritesCount])).toEqual(Array(4).fill(['Edited.', 1]));
    });

    it('should give a retitled article a new slug, and answer 404 for the old one', async () => {
      const author = await ConduitClient.registered();
      const { slug } = await author.publish({ title: 'Before' });

      const renamed = await author.send('PUT', `/api/articles/${slug}`, { article: { title: 'After the rename' } });

      expect(renamed.json().article.slug).toMatch(/^after-the-rename-[0-9a-z]{8}$/);
      expectConduitProblem(await author.send('GET', `/api/articles/${slug}`), 404);
    });
  });

  describe('@Consistency on Conduit routes (the defaults aside)', () => {
    it('should serve GET /api/tags from a replica within its 5 s bound, where the client’s token would send a read-your-writes route to the primary', async () => {
      await delayReplicas('500ms');
      try {
        const author = await ConduitClient.registered();
        const { slug } = await author.publish({ tagList: [`fresh${Date.now()}`] }); // closes the cached tag list

        const tags = await author.send('GET', '/api/tags');
        const article = await author.send('GET', `/api/articles/${slug}`);

        expect(tags.status).toBe(200);
        expect(tags.headers['x-db-route']).toBe('replica:bounded-staleness');
        expect(tags.headers['x-db-node']).toMatch(/^db-replica-[12]$/);
        expect(article.headers['x-db-route']).toContain('primary:token-ahead');
      } finally {
        await undelayReplicas();
      }
    });

    it('should answer GET /api/user from the primary: a change made on another device shows at once, without its consistency token', async () => {
      const phone = await ConduitClient.registered();
      const laptop = new ConduitClient(); // signed in as the same user, but it never saw the phone's consistency token
      laptop.accessToken = phone.accessToken;
      await caughtUp();
      await pauseReplay(...REPLICAS);
      try {
        expect((await phone.send('PUT', '/api/user', { user: { bio: 'Changed on the phone.' } })).status).toBe(200);

        const profile = await laptop.send('GET', `/api/profiles/${phone.username}`); // first: a token from it would send the next read to the primary
        const account = await laptop.send('GET', '/api/user');

        expect(account.json().user.bio).toBe('Changed on the phone.');
        expect(account.headers['x-db-route']).toContain('primary:strong');
        // The read-your-writes route sees it too, by another rule: the user's last write is remembered by user.
        expect(profile.json().profile.bio).toBe('Changed on the phone.');
        expect(profile.headers['x-db-route']).not.toContain('primary:strong');
      } finally {
        await resumeReplay(...REPLICAS);
      }
    });
  });

  describe('someone else’s article or comment', () => {
    it('should answer 403 to PUT and DELETE of another user’s article, and 404 to an unknown slug', async () => {
      const [author, other] = await Promise.all([ConduitClient.registered(), ConduitClient.registered()]);
      const { slug } = await author.publish();

      expectConduitProblem(await other.send('PUT', `/api/articles/${slug}`, { article: { body: 'mine now' } }), 403);
      expectConduitProblem(await other.send('DELETE', `/api/articles/${slug}`), 403);
      expectConduitProblem(await other.send('GET', '/api/articles/no-such-article-00000000'), 404);
      expect((await other.send('GET', `/api/articles/${slug}`)).json().article.body).not.toBe('mine now');
    });

    it('should answer 403 to DELETE of another user’s comment, and 404 to one that is not on that article', async () => {
      const [author, commenter, other] = await Promise.all([ConduitClient.registered(), ConduitClient.registered(), ConduitClient.registered()]);
      const { slug } = await author.publish();
      const { slug: elsewhere } = await author.publish();
      const { comment } = (await commenter.send('POST', `/api/articles/${slug}/comments`, { comment: { body: 'First!' } })).json();

      expectConduitProblem(await other.send('DELETE', `/api/articles/${slug}/comments/${comment.id}`), 403);
      expectConduitProblem(await commenter.send('DELETE', `/api/articles/${elsewhere}/comments/${comment.id}`), 404);
      expect((await other.send('GET', `/api/articles/${slug}/comments`)).json().comments).toHaveLength(1);
      expect((await commenter.send('DELETE', `/api/articles/${slug}/comments/${comment.id}`)).status).toBe(204);
      expect((await other.send('GET', `/api/articles/${slug}/comments`)).json().comments).toEqual([]);
    });
  });

  describe('access tokens', () => {
    let victim: ConduitClient;
    let victimId: number;

    beforeAll(async () => {
      victim = await ConduitClient.registered();
      const primary = (await leader()) ?? 'db-primary';
      [{ id: victimId }] = await onNode<{ id: number }>(primary, 'SELECT id FROM conduit_user WHERE username = $1', [victim.username]);
    });

    const forgeries: [string, () => string][] = [
      ['a token signed with another secret', () => `Token ${handMadeJwt({ sub: String(victimId), exp: now() + 600 }, { secret: 'another-secret-of-at-least-32-characters' })}`],
      ['an expired token', () => `Token ${handMadeJwt({ sub: String(victimId), iat: now() - 7200, exp: now() - 3600 }, { secret: stackJwtSecret() })}`],
      ['alg: none', () => `Token ${handMadeJwt({ sub: String(victimId), exp: now() + 600 }, { alg: 'none' })}`],
      ['HS512 with the right secret', () => `Token ${handMadeJwt({ sub: String(victimId), exp: now() + 600 }, { alg: 'HS512', secret: stackJwtSecret() })}`],
      ['a subject that is no user id', () => `Token ${handMadeJwt({ sub: "1' OR '1'='1", exp: now() + 600 }, { secret: stackJwtSecret() })}`],
      ['garbage', () => 'Token not.a.jwt'],
      ['the Bearer scheme', () => `Bearer ${victim.accessToken}`],
      ['a scheme with no token', () => 'Token'],
    ];

    it.each(forgeries)('should answer 401 problem+json to %s, also where signing in is optional', async (_what, header) => {
      for (const [method, path] of [['GET', '/api/user'], ['GET', '/api/articles'], ['POST', '/api/articles']]) {
        const response = await request(method, path, { headers: { authorization: header() }, body: method === 'POST' ? { article: newArticle() } : undefined });

        expectConduitProblem(response, 401);
      }
    });

    it('should answer 401 to no token where one is needed', async () => {
      expectConduitProblem(await get('/api/user'), 401);
      expect((await get('/api/user')).json().code).toBe('authentication_required');
    });

    it('should refuse the token of a user who was deleted', async () => {
      expect((await victim.send('GET', '/api/user')).status).toBe(200);

      await onNode((await leader()) ?? 'db-primary', 'DELETE FROM conduit_user WHERE id = $1', [victimId]);

      expectConduitProblem(await victim.send('GET', '/api/user'), 401);
    });
  });

  describe('bad input', () => {
    let author: ConduitClient;
    let other: ConduitClient;
    let slug: string;
    let commentId: number;

    beforeAll(async () => {
      [author, other] = await Promise.all([ConduitClient.registered(), ConduitClient.registered()]);
      ({ slug } = await author.publish());
      commentId = (await author.send('POST', `/api/articles/${slug}/comments`, { comment: { body: 'mine' } })).json().comment.id;
    });

    const deep = (levels: number): unknown => (levels === 0 ? 'x' : [deep(levels - 1)]);
    const deepText = (levels: number) => `{"user":{"bio":${'['.repeat(levels)}${']'.repeat(levels)}}}`;
    const user = () => newUser();
    type As = 'anonymous' | 'author' | 'other';
    type Case = [what: string, as: As, method: string, path: () => string, body: () => unknown, status: number, headers?: Record<string, string>];
    const cases: Case[] = [
      ['malformed JSON', 'anonymous', 'POST', () => '/api/users', () => '{"user": {', 422],
      ['wrong types', 'anonymous', 'POST', () => '/api/users', () => ({ user: { username: 5, email: true, password: [] } }), 422],
      ['missing fields', 'anonymous', 'POST', () => '/api/users', () => ({ user: {} }), 422],
      ['no user wrapper', 'anonymous', 'POST', () => '/api/users', () => user(), 422],
      ['the user as an array', 'anonymous', 'POST', () => '/api/users', () => ({ user: [user()] }), 422],
      ['an unknown field', 'anonymous', 'POST', () => '/api/users', () => ({ user: { ...user(), admin: true } }), 422],
      ['an unknown top-level field', 'anonymous', 'POST', () => '/api/users', () => ({ user: user(), role: 'admin' }), 422],
      ['a JSON string', 'anonymous', 'POST', () => '/api/users', () => '"user"', 422],
      ['a NUL byte in a username', 'anonymous', 'POST', () => '/api/users', () => ({ user: { ...user(), username: 'nul\u0000byte' } }), 422],
      ['a NUL byte in a password', 'anonymous', 'POST', () => '/api/users', () => ({ user: { ...user(), password: 'password\u0000' } }), 422],
      ['a username with a slash', 'anonymous', 'POST', () => '/api/users', () => ({ user: { ...user(), username: 'a/b' } }), 422],
      ['a body over 1 MiB', 'anonymous', 'POST', () => '/api/users', () => ({ user: { ...user(), password: 'x'.repeat(1_100_000) } }), 413],
      ['40 levels of nesting', 'author', 'PUT', () => '/api/user', () => ({ user: { bio: deep(40) } }), 422],
      ['100 000 levels of nesting', 'author', 'PUT', () => '/api/user', () => deepText(100_000), 422],
      ['an empty user update', 'author', 'PUT', () => '/api/user', () => ({ user: {} }), 422],
      ['a null email', 'author', 'PUT', () => '/api/user', () => ({ user: { email: null } }), 422],
      ['a NUL byte in a bio', 'author', 'PUT', () => '/api/user', () => ({ user: { bio: 'a\u0000' } }), 422],
      ['a NUL byte in a login', 'anonymous', 'POST', () => '/api/users/login', () => ({ user: { email: 'a\u0000@b.test', password: 'x' } }), 422],
      ['a tag list that is no list', 'author', 'POST', () => '/api/articles', () => ({ article: newArticle({ tagList: 'a,b' as unknown as string[] }) }), 422],
      ['1000 tags', 'author', 'POST', () => '/api/articles', () => ({ article: newArticle({ tagList: Array.from({ length: 1000 }, (_, i) => `t${i}`) }) }), 422],
      ['a tag with a control character', 'author', 'POST', () => '/api/articles', () => ({ article: newArticle({ tagList: ['a\u0007b'] }) }), 422],
      ['a blank title', 'author', 'POST', () => '/api/articles', () => ({ article: newArticle({ title: '   ' }) }), 422],
      ['a 201-character title', 'author', 'POST', () => '/api/articles', () => ({ article: newArticle({ title: 'x'.repeat(201) }) }), 422],
      ['an article with no body', 'author', 'POST', () => '/api/articles', () => ({ article: { title: 't', description: 'd' } }), 422],
      ['an empty article update', 'author', 'PUT', () => `/api/articles/${slug}`, () => ({ article: {} }), 422],
      ['a tag list in an update', 'author', 'PUT', () => `/api/articles/${slug}`, () => ({ article: { tagList: ['x'] } }), 422],
      ['an empty comment', 'author', 'POST', () => `/api/articles/${slug}/comments`, () => ({ comment: { body: '' } }), 422],
      ['another user’s article update', 'other', 'PUT', () => `/api/articles/${slug}`, () => ({ article: { body: 'taken over' } }), 403],
      ['another user’s article delete', 'other', 'DELETE', () => `/api/articles/${slug}`, () => undefined, 403],
      ['another user’s comment delete', 'other', 'DELETE', () => `/api/articles/${slug}/comments/${commentId}`, () => undefined, 403],
      ['a slug with ..', 'anonymous', 'GET', () => '/api/articles/..%2f..%2fetc', () => undefined, 404],
      ['a slug with %2f', 'anonymous', 'GET', () => `/api/articles/${slug}%2fcomments`, () => undefined, 404],
      ['a slug with a NUL byte (nginx refuses it)', 'anonymous', 'GET', () => `/api/articles/${slug}%00`, () => undefined, 400],
      ['an overlong slug', 'anonymous', 'GET', () => `/api/articles/${'a'.repeat(5000)}`, () => undefined, 404],
      ['a slug beyond nginx’s request line', 'anonymous', 'GET', () => `/api/articles/${'a'.repeat(10_000)}`, () => undefined, 414],
      ['a favourite of an overlong slug', 'author', 'POST', () => `/api/articles/${'a-'.repeat(200)}x/favorite`, () => undefined, 404],
      ['a username with a NUL byte (nginx refuses it)', 'anonymous', 'GET', () => '/api/profiles/a%00b', () => undefined, 400],
      ['a follow of an unknown user', 'author', 'POST', () => '/api/profiles/no_such_user_at_all/follow', () => undefined, 404],
      ['a comment id that is no number', 'author', 'DELETE', () => `/api/articles/${slug}/comments/abc`, () => undefined, 422],
      ['a comment id beyond the column', 'author', 'DELETE', () => `/api/articles/${slug}/comments/99999999999`, () => undefined, 422],
      // Spellings Number() takes for the comment's own id: each must be refused, never delete the comment.
      ['a comment id in hex', 'author', 'DELETE', () => `/api/articles/${slug}/comments/0x${commentId.toString(16)}`, () => undefined, 422],
      ['a comment id with a leading zero', 'author', 'DELETE', () => `/api/articles/${slug}/comments/0${commentId}`, () => undefined, 422],
      ['a comment id with a plus sign', 'author', 'DELETE', () => `/api/articles/${slug}/comments/+${commentId}`, () => undefined, 422],
      ['a comment id with a leading space', 'author', 'DELETE', () => `/api/articles/${slug}/comments/%20${commentId}`, () => undefined, 422],
      ['a comment id in exponent form', 'author', 'DELETE', () => `/api/articles/${slug}/comments/${commentId}e0`, () => undefined, 422],
      ['a comment id with a fraction', 'author', 'DELETE', () => `/api/articles/${slug}/comments/${commentId}.0`, () => undefined, 422],
      ['a form-encoded article', 'author', 'POST', () => '/api/articles', () => 'article[title]=t&article[description]=d&article[body]=b', 415, { 'content-type': 'application/x-www-form-urlencoded' }],
      ['a form-encoded comment', 'author', 'POST', () => `/api/articles/${slug}/comments`, () => 'comment[body]=b', 415, { 'content-type': 'application/x-www-form-urlencoded' }],
      ['SQL in the author filter', 'anonymous', 'GET', () => "/api/articles?author=x'%20OR%201=1--", () => undefined, 422],
      ['SQL in the favorited filter', 'anonymous', 'GET', () => '/api/articles?favorited=%27%3BDROP%20TABLE%20conduit_user%3B--', () => undefined, 422],
      ['a tag with a NUL byte', 'anonymous', 'GET', () => '/api/articles?tag=a%00', () => undefined, 422],
      ['two tags', 'anonymous', 'GET', () => '/api/articles?tag=a&tag=b', () => undefined, 422],
      ['limit zero', 'anonymous', 'GET', () => '/api/articles?limit=0', () => undefined, 422],
      ['a negative limit', 'anonymous', 'GET', () => '/api/articles?limit=-1', () => undefined, 422],
      ['a limit that is no number', 'anonymous', 'GET', () => '/api/articles?limit=abc', () => undefined, 422],
      ['a limit over the cap', 'anonymous', 'GET', () => '/api/articles?limit=101', () => undefined, 422],
      ['a limit of 1e400', 'anonymous', 'GET', () => '/api/articles?limit=1e400', () => undefined, 422],
      ['a limit in hex', 'anonymous', 'GET', () => '/api/articles?limit=0x10', () => undefined, 422],
      ['a limit in exponent form', 'anonymous', 'GET', () => '/api/articles?limit=1e1', () => undefined, 422],
      ['a limit with a plus sign', 'anonymous', 'GET', () => '/api/articles?limit=%2B5', () => undefined, 422],
      ['an offset with a leading zero', 'anonymous', 'GET', () => '/api/articles?offset=01', () => undefined, 422],
      ['an empty offset', 'anonymous', 'GET', () => '/api/articles?offset=', () => undefined, 422],
      ['a negative offset', 'author', 'GET', () => '/api/articles/feed?offset=-1', () => undefined, 422],
      ['an offset over the cap', 'anonymous', 'GET', () => '/api/articles?offset=10001', () => undefined, 422],
      ['an unknown query parameter', 'anonymous', 'GET', () => '/api/articles?sort=title', () => undefined, 422],
      ['an unknown route under /api', 'anonymous', 'GET', () => '/api/nope', () => undefined, 404],
    ];
    const table = cases.map(([what, as, method, path, body, status, headers]) => ({ what, as, method, path, body, status, headers }));

    it.each(table)('should answer $what with a $status problem+json and write nothing', async ({ as, method, path, body, status, headers }) => {
      const client = as === 'author' ? author : as === 'other' ? other : new ConduitClient();
      const before = await conduitRows();

      const response = await client.send(method, path(), body(), headers);

      expect(response.status).toBe(status);
      // nginx answers these itself: 413 as problem+json (without RealWorld's errors.body); a NUL in the path (400)
      // or a request line over 8 KiB (414) it refuses before it has a URI, where no error_page can run.
      if (status === 413) expectProblem(response, status);
      else if (status !== 400 && status !== 414) expectConduitProblem(response, status);
      expect(await conduitRows()).toEqual(before);
    });

    it('should treat SQL in the tag filter as a tag name: no article, no error', async () => {
      const response = await get("/api/articles?tag=x'%20OR%20''%3D'");

      expect(response.status).toBe(200);
      expect(response.json()).toEqual({ articles: [], articlesCount: 0 });
    });
  });

  describe('GET /docs-json (on the operators’ port)', () => {
    type Operation = { parameters?: { name: string; in: string; required?: boolean; $ref?: string }[]; responses: Record<string, unknown>; security?: unknown[] };
    type Document = { paths: Record<string, Record<string, Operation>>; components: { parameters?: Record<string, { name: string; in: string; required?: boolean }>; securitySchemes?: Record<string, unknown> } };
    const spec0 = parse(readFileSync(join(__dirname, '..', 'realworld', 'openapi.yml'), 'utf8'));
    const spec = spec0 as Document;
    const METHODS = ['get', 'post', 'put', 'delete'];
    const operations = (doc: Document, prefix = '') =>
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method]) => METHODS.includes(method))
          .map(([method, op]) => ({ key: `${method.toUpperCase()} ${prefix}${path}`, op })),
      );
    const parametersOf = (doc: Document, op: Operation) =>
      (op.parameters ?? [])
        .map((p) => (p.$ref ? doc.components.parameters![p.$ref.split('/').pop()!] : p))
        .map((p) => `${p.in}:${p.name}${p.required ? '!' : ''}`)
        .sort();

    it('should describe exactly the Conduit operations of openapi.yml, with their parameters, responses and the Token scheme', async () => {
      const served = (await request('GET', '/docs-json', { baseUrl: operatorsUrl() })).json() as Document;
      const ours = new Map(operations(served).filter(({ key }) => key.split(' ')[1].startsWith('/api/')).map(({ key, op }) => [key, op]));

      const expected = operations(spec, '/api');
      expect([...ours.keys()].sort()).toEqual(expected.map(({ key }) => key).sort());
      for (const { key, op } of expected) {
        const ourOp = ours.get(key)!;
        expect({ key, parameters: parametersOf(served, ourOp) }).toEqual({ key, parameters: parametersOf(spec, op) });
        const codes = Object.keys(ourOp.responses);
        // Beyond the spec's: 404 for unknown slugs and users, 403 for someone else's article or comment, and
        // 401 where signing in is optional (a bad token is refused there too).
        expect({ key, missing: Object.keys(op.responses).filter((c) => !codes.includes(c)) }).toEqual({ key, missing: [] });
        expect({ key, extra: codes.filter((c) => !(c in op.responses) && !['401', '403', '404'].includes(c)) }).toEqual({ key, extra: [] });
        if (op.security) expect({ key, security: ourOp.security }).toEqual({ key, security: [{ Token: [] }] });
      }
      expect(served.components.securitySchemes?.Token).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    });

    it('should be a valid OpenAPI document whose Conduit success responses have the shapes openapi.yml gives', async () => {
      type Schema = { properties?: Record<string, Schema>; items?: Schema; allOf?: Schema[] };
      type Responses = Record<string, { content?: Record<string, { schema?: Schema }> }>;
      // Property names two levels down (`article.slug`, `articles[].title`): what a generated client reads.
      const shape = (schema: Schema | undefined, depth = 2, prefix = ''): string[] => {
        if (!schema || depth === 0) return [];
        if (schema.allOf) return [...new Set(schema.allOf.flatMap((part) => shape(part, depth, prefix)))].sort();
        if (schema.items) return shape(schema.items, depth, `${prefix}[]`);
        return Object.entries(schema.properties ?? {})
          .flatMap(([name, child]) => [`${prefix}${name}`, ...shape(child, depth - 1, `${prefix}${name}.`)])
          .sort();
      };
      const successShapes = (doc: Document, prefix = '') =>
        new Map(
          operations(doc, prefix).flatMap(({ key, op }) => {
            const success = Object.entries(op.responses as Responses).find(([code]) => code.startsWith('2'));
            return success ? [[key, { status: success[0], shape: shape(success[1].content?.['application/json']?.schema) }] as const] : [];
          }),
        );

      // Throws, naming the fault, when the served document is not valid OpenAPI.
      const served = (await SwaggerParser.validate((await request('GET', '/docs-json', { baseUrl: operatorsUrl() })).json())) as unknown as Document;
      const spec = (await SwaggerParser.dereference(structuredClone(spec0))) as unknown as Document;

      const ours = successShapes(served);
      for (const [key, expected] of successShapes(spec, '/api')) expect({ key, ...ours.get(key) }).toEqual({ key, ...expected });
    });
  });
});
