import { request } from '../stack/native/http-client';

/** What a steady load through nginx saw while a fault ran. */
export interface LoadOutcome {
  reads: number;
  failedReads: number;
  writes: number;
  failedWrites: number;
  longestWriteGapMs: number;
  acknowledged: number[];
  tokenReads: number;
  staleTokenReads: number;
  /** The first stale reads, with the headers that say where they were served and why. */
  staleSamples: string[];
}

const draft = (n: number) => ({ title: `chaos ${n} ${Date.now()}`, body: 'written under fault injection' });

/**
 * Readers (uncached list pages), writers (POST, every acknowledged id kept), and token clients (write, then read
 * the write back sending the consistency token: anything but that article is a stale read), all through the
 * load balancer as users, until `stop()` is called. Bounded by `maxMs` whatever happens.
 */
export function startLoad({ readers = 2, writers = 1, tokenClients = 2, maxMs = 120_000 } = {}) {
  const outcome: LoadOutcome = { reads: 0, failedReads: 0, writes: 0, failedWrites: 0, longestWriteGapMs: 0, acknowledged: [], tokenReads: 0, staleTokenReads: 0, staleSamples: [] };
  const deadline = Date.now() + maxMs;
  let running = true;
  const active = () => running && Date.now() < deadline;
  let lastWrite = Date.now();
  let serial = 0;

  const recordWrite = (id: number | undefined) => {
    outcome.writes++;
    if (id === undefined) {
      outcome.failedWrites++;
      return;
    }
    outcome.acknowledged.push(id);
    outcome.longestWriteGapMs = Math.max(outcome.longestWriteGapMs, Date.now() - lastWrite);
    lastWrite = Date.now();
  };
  const write = async (token?: string) => {
    const response = await request('POST', '/articles', { body: draft(serial++), headers: token ? { 'x-consistency-token': token } : {} }).catch(() => undefined);
    const id = response?.status === 201 ? (response.json().id as number) : undefined;
    recordWrite(id);
    if (id === undefined) await new Promise((r) => setTimeout(r, 50)); // a refused write (503) says retry shortly
    return { id, title: response?.status === 201 ? (response.json().title as string) : undefined, token: response?.headers['x-consistency-token'] as string | undefined };
  };

  const loops = [
    ...Array.from({ length: readers }, async () => {
      while (active()) {
        const n = serial++;
        const response = await request('GET', `/articles?limit=${1 + (n % 100)}&cursor=${1_300_000_000 - n}`).catch(() => undefined);
        outcome.reads++;
        if (response?.status !== 200) outcome.failedReads++;
      }
    }),
    ...Array.from({ length: writers }, async () => {
      while (active()) await write();
    }),
    ...Array.from({ length: tokenClients }, async () => {
      let token: string | undefined;
      while (active()) {
        const written = await write(token);
        if (written.id === undefined) continue;
        token = written.token ?? token;
        const read = await request('GET', `/articles/${written.id}`, { headers: token ? { 'x-consistency-token': token } : {} }).catch(() => undefined);
        outcome.reads++;
        outcome.tokenReads++;
        if (!read || read.status >= 500) outcome.failedReads++;
        else if (read.status !== 200 || read.json().title !== written.title) {
          outcome.staleTokenReads++;
          const h = read.headers;
          if (outcome.staleSamples.length < 5) {
            outcome.staleSamples.push(`${read.status} id ${written.id} via ${h['x-app-instance']} from ${h['x-db-node']} (${h['x-db-route']}) cache ${h['x-cache']} token ${token}`);
          }
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
