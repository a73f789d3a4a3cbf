import { closeClient, request, Response } from './support/client';
import { ConduitClient, newArticle, newUser } from './support/conduit';
import { caughtUp, delayReplicas, undelayReplicas } from './support/replica-delay';

/**
 * A RealWorld client keeps its JWT and nothing else: no cookie, no consistency token. It still reads its own
 * writes through either app server (its position is remembered by user), and anyone reads a resource written
 * a moment ago by someone else (each written resource's position is remembered by its key).
 */
class JwtOnlyClient extends ConduitClient {
  override async send(method: string, path: string, body?: unknown): Promise<Response> {
    const response = await super.send(method, path, body);
    this.consistencyToken = undefined; // keeps no cookie, sends no token
    return response;
  }

  static async signUp(): Promise<JwtOnlyClient> {
    const client = new JwtOnlyClient();
    const user = newUser();
    const response = await client.send('POST', '/api/users', { user });
    if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${response.body}`);
    client.accessToken = response.json().user.token;
    client.username = user.username;
    return client;
  }
}

// Hundreds of requests, each a sign-up (scrypt) or a read waiting up to CONSISTENCY_WAIT_MS for a replica.
const LONG = 240_000;

const node = (response: Response) => String(response.headers['x-db-node'] ?? 'cache');

describe('Read-your-writes for Conduit clients that keep only their JWT, replicas 500 ms behind', () => {
  afterAll(() => closeClient());

  it('should serve 0 stale reads in 250 write→read pairs (sign-up→login, article, favourite, follow, comment) across both app servers', async () => {
    // Who is followed, and what is favourited and commented, exists before the delay: only the pairs' writes are new.
    const author = await ConduitClient.registered();
    const articles = await Promise.all(Array.from({ length: 5 }, () => author.publish()));
    await caughtUp();
    await delayReplicas('500ms');
    const outcome = { pairs: 0, stale: [] as string[], readerIsNotWriter: 0 };
    const check = (what: string, written: Response, read: Response, fresh: boolean) => {
      outcome.pairs++;
      if (read.headers['x-app-instance'] !== written.headers['x-app-instance']) outcome.readerIsNotWriter++;
      if (!fresh) outcome.stale.push(`${what}: ${read.status} on ${node(read)} ${read.body.slice(0, 120)}`);
    };
    try {
      await Promise.all(
        Array.from({ length: 5 }, async (_, c) => {
          for (let i = 0; i < 10; i++) {
            const user = newUser();
            const anonymous = new JwtOnlyClient();
            const registered = await anonymous.send('POST', '/api/users', { user });
            const login = await anonymous.send('POST', '/api/users/login', { user: { email: user.email, password: user.password } });
            check('sign-up → login', registered, login, login.status === 200 && login.json().user.username === user.username);

            const client = Object.assign(new JwtOnlyClient(), { accessToken: login.json()?.user?.token, username: user.username });
            const draft = newArticle();
            const created = await client.send('POST', '/api/articles', { article: draft });
            const article = await client.send('GET', `/api/articles/${created.json().article.slug}`);
            check('create → get article', created, article, article.status === 200 && article.json().article.title === draft.title);

            const target = articles[(c + i) % articles.length];
            const favourited = await client.send('POST', `/api/articles/${target.slug}/favorite`);
            const listed = await client.send('GET', `/api/articles?favorited=${user.username}`);
            check('favourite → list favourited', favourited, listed, listed.status === 200 && listed.json().articles.some((a: { slug: string }) => a.slug === target.slug));

            const followed = await client.send('POST', `/api/profiles/${author.username}/follow`);
            const profile = await client.send('GET', `/api/profiles/${author.username}`);
            check('follow → profile', followed, profile, profile.status === 200 && profile.json().profile.following === true);

            const commented = await client.send('POST', `/api/articles/${target.slug}/comments`, { comment: { body: `comment ${c}.${i}` } });
            const comments = await client.send('GET', `/api/articles/${target.slug}/comments`);
            const id = commented.json()?.comment?.id;
            check('comment → list comments', commented, comments, comments.status === 200 && comments.json().comments.some((x: { id: number }) => x.id === id));
          }
        }),
      );
    } finally {
      await undelayReplicas();
    }

    console.log(`JWT-only clients: ${outcome.pairs} pairs, ${outcome.stale.length} stale, ${outcome.readerIsNotWriter} read on the other app server`);
    expect(outcome.stale).toEqual([]);
    expect(outcome.pairs).toBe(250);
    expect(outcome.readerIsNotWriter).toBeGreaterThan(50); // the read often lands on the other app server
  }, LONG);

  it('should still serve at least 90 % of the reads that do not follow the reader’s own write from replicas', async () => {
    const author = await ConduitClient.registered();
    const articles = await Promise.all(Array.from({ length: 20 }, () => author.publish()));
    await caughtUp();
    const readers = await Promise.all(Array.from({ length: 4 }, () => JwtOnlyClient.signUp()));
    const writers = await Promise.all(Array.from({ length: 2 }, () => JwtOnlyClient.signUp()));
    await caughtUp();
    await delayReplicas('500ms');
    const served = new Map<string, number>();
    let running = true;
    try {
      // Writers keep writing meanwhile (their own reads are not counted); readers browse what they did not write.
      const writing = writers.map(async (writer) => {
        while (running) await writer.send('POST', '/api/articles', { article: newArticle() });
      });
      await Promise.all(
        readers.map(async (reader, r) => {
          for (let i = 0; i < 60; i++) {
            const slug = articles[(r * 7 + i) % articles.length].slug;
            const response = await reader.send('GET', i % 3 === 0 ? `/api/articles?author=${author.username}&limit=5&offset=${i % 7}` : `/api/articles/${slug}/comments`);
            expect(response.status).toBe(200);
            served.set(node(response), (served.get(node(response)) ?? 0) + 1);
          }
        }),
      );
      running = false;
      await Promise.all(writing);
    } finally {
      running = false;
      await undelayReplicas();
    }

    const fromDatabase = [...served].filter(([name]) => name !== 'cache');
    const onReplicas = fromDatabase.filter(([name]) => name.startsWith('db-replica')).reduce((n, [, count]) => n + count, 0);
    const total = fromDatabase.reduce((n, [, count]) => n + count, 0);
    console.log(`reads not right after the reader's own write: ${onReplicas} of ${total} from replicas (${JSON.stringify(Object.fromEntries(served))})`);
    expect(total).toBeGreaterThan(100);
    expect(onReplicas / total).toBeGreaterThanOrEqual(0.9);
  }, LONG);

  it('should let user B read the profile of user A who just signed up, at once, 100 times out of 100', async () => {
    const b = await JwtOnlyClient.signUp();
    await caughtUp();
    await delayReplicas('500ms');
    const misses: string[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        const a = newUser();
        const signedUp = await request('POST', '/api/users', { body: { user: a } });
        const profile = await b.send('GET', `/api/profiles/${a.username}`);
        if (signedUp.status !== 201 || profile.status !== 200) misses.push(`${signedUp.status} → ${profile.status} on ${node(profile)}`);
      }
    } finally {
      await undelayReplicas();
    }

    expect(misses).toEqual([]);
  }, LONG);

  it('should accept a login right after the sign-up, with no JWT yet, 100 times out of 100', async () => {
    await delayReplicas('500ms');
    const misses: string[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        const user = newUser();
        await request('POST', '/api/users', { body: { user } });
        const login = await request('POST', '/api/users/login', { body: { user: { email: user.email, password: user.password } } });
        if (login.status !== 200) misses.push(`${login.status} on ${node(login)}`);
      }
    } finally {
      await undelayReplicas();
    }

    expect(misses).toEqual([]);
  }, LONG);
});
