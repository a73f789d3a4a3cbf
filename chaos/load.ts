import { request, Response } from '../stack/native/http-client';

/** What a steady load through nginx saw while a fault ran. */
export interface LoadOutcome {
  reads: number;
  failedReads: number;
  writes: number;
  failedWrites: number;
  longestWriteGapMs: number;
  /** The slugs of every acknowledged write. */
  acknowledged: string[];
  tokenReads: number;
  staleTokenReads: number;
  /** The first stale reads, with the headers that say where they were served and why. */
  staleSamples: string[];
}

let serial = 0;
const draft = () => ({ title: `chaos ${++serial} ${Date.now()}`, description: 'Written under fault injection.', body: 'written under fault injection', tagList: ['chaos'] });

/** A Conduit user signed in through nginx: each of its requests carries its access token. */
async function signedIn(role: string): Promise<{ username: string; accessToken: string }> {
  const username = `chaos_${role}_${Date.now().toString(36)}_${++serial}`;
  const user = { username, email: `${username}@example.test`, password: 'chaos-load-password' };
  const response = await request('POST', '/api/users', { body: { user } });
  if (response.status !== 201) throw new Error(`chaos: registering ${username} answered ${response.status}: ${response.body}`);
  return { username, accessToken: response.json().user.token };
}

/**
 * Readers (the first writer's page of the article list: never cached, and cheap however many articles the stack
 * holds), writers (authenticated POSTs, every acknowledged slug kept), and token clients
 * (write, then read the article back by slug sending the consistency token: anything but that article is a stale
 * read), all through the load balancer as users, until `stop()` is called. Bounded by `maxMs` whatever happens.
 * The writers and token clients register before the load starts.
 */
export async function startLoad({ readers = 2, writers = 1, tokenClients = 2, maxMs = 120_000 } = {}) {
  if (readers > 0 && writers === 0) throw new Error('chaos: the readers read a writer’s page: give the load a writer');
  const outcome: LoadOutcome = { reads: 0, failedReads: 0, writes: 0, failedWrites: 0, longestWriteGapMs: 0, acknowledged: [], tokenReads: 0, staleTokenReads: 0, staleSamples: [] };
  const [writerUsers, tokenClientUsers] = await Promise.all([
    Promise.all(Array.from({ length: writers }, () => signedIn('writer'))),
    Promise.all(Array.from({ length: tokenClients }, () => signedIn('reader'))),
  ]);
  const deadline = Date.now() + maxMs;
  let running = true;
  const active = () => running && Date.now() < deadline;
  let lastWrite = Date.now();
  let pages = 0;

  const recordWrite = (slug: string | undefined) => {
    outcome.writes++;
    if (slug === undefined) {
      outcome.failedWrites++;
      return;
    }
    outcome.acknowledged.push(slug);
    outcome.longestWriteGapMs = Math.max(outcome.longestWriteGapMs, Date.now() - lastWrite);
    lastWrite = Date.now();
  };
  const headersOf = (accessToken: string, token?: string) => ({ authorization: `Token ${accessToken}`, ...(token ? { 'x-consistency-token': token } : {}) });
  const write = async (accessToken: string, token?: string) => {
    const response = await request('POST', '/api/articles', { body: { article: draft() }, headers: headersOf(accessToken, token) }).catch(() => undefined);
    const article = response?.status === 201 ? (response.json().article as { slug: string; title: string }) : undefined;
    recordWrite(article?.slug);
    if (!article) await new Promise((r) => setTimeout(r, 50)); // a refused write (503) says retry shortly
    return { article, token: response?.headers['x-consistency-token'] as string | undefined };
  };
  const staleSample = (read: Response, slug: string, token: string | undefined) => {
    const h = read.headers;
    return `${read.status} ${slug} via ${h['x-app-instance']} from ${h['x-db-node']} (${h['x-db-route']}) cache ${h['x-cache']} token ${token}`;
  };

  const loops = [
    ...Array.from({ length: readers }, async () => {
      while (active()) {
        const n = pages++;
        const response = await request('GET', `/api/articles?author=${writerUsers[0].username}&limit=${1 + (n % 20)}&offset=${n % 100}`).catch(() => undefined);
        outcome.reads++;
        if (response?.status !== 200) outcome.failedReads++;
      }
    }),
    ...writerUsers.map(async ({ accessToken }) => {
      while (active()) await write(accessToken);
    }),
    ...tokenClientUsers.map(async ({ accessToken }) => {
      let token: string | undefined;
      while (active()) {
        const written = await write(accessToken, token);
        if (!written.article) continue;
        token = written.token ?? token;
        const { slug, title } = written.article;
        const read = await request('GET', `/api/articles/${slug}`, { headers: headersOf(accessToken, token) }).catch(() => undefined);
        outcome.reads++;
        outcome.tokenReads++;
        if (!read || read.status >= 500) outcome.failedReads++;
        else if (read.status !== 200 || read.json().article.title !== title) {
          outcome.staleTokenReads++;
          if (outcome.staleSamples.length < 5) outcome.staleSamples.push(staleSample(read, slug, token));
        }
        token = (read?.headers['x-consistency-token'] as string | undefined) ?? token;
      }
    }),
  ];
  return {
    outcome,
    async stop(): Promise<LoadOutcome> {
      running = false;
      await Promise.all(loops);
      return outcome;
    },
  };
}
