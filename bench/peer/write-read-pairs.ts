import type { Response } from '../../stack/native/http-client';
import { TokenKeepingClient } from './token-keeping-client';

/** A Conduit article as its author sends it. */
export interface Draft {
  title: string;
  description: string;
  body: string;
}

/** How a read of an article just written came back: as written, stale (404 or an older body), or failed. */
export type ReadVerdict = 'fresh' | 'stale' | 'failed';

export function judgeRead(written: Draft, read: Pick<Response, 'status' | 'json'>): ReadVerdict {
  if (read.status === 404) return 'stale';
  if (read.status !== 200) return 'failed';
  const { title, body } = read.json<{ article?: Partial<Draft> }>().article ?? {};
  return title === written.title && body === written.body ? 'fresh' : 'stale';
}

/**
 * How the write of a pair came back: acknowledged (201), or stale: a 404 for an article it has just written.
 * Conduit answers a create with the article read back in the same request; a server that reads it on a replica
 * which has not replayed the write yet (TypeORM's replication does) answers 404. That read-back is the first
 * read after the write, and a stale one.
 */
export type WriteVerdict = 'acknowledged' | 'stale' | 'failed';

export function judgeWrite(write: Pick<Response, 'status'> | undefined): WriteVerdict {
  if (write?.status === 201) return 'acknowledged';
  return write?.status === 404 ? 'stale' : 'failed';
}

export interface PairsOutcome {
  /** Pairs whose write was acknowledged (201) or answered stale (404), and so whose first read counts. */
  pairs: number;
  stale: number;
  /** Of the stale reads, those in the write's own answer (404: see judgeWrite). */
  staleWriteAnswers: number;
  /** Reads that answered neither the article nor 404 (5xx, a socket error). */
  failedReads: number;
  /** Writes not acknowledged: their pair is not counted. */
  failedWrites: number;
  /** Reads whose X-DB-Node names a node: only the replication-aware app sends it. */
  readsNamingNode: number;
  /** Of those, the reads whose first node is a replica. */
  readsFromReplicas: number;
  /** Whether the server handed the clients a token or a cookie. */
  tokensIssued: boolean;
  /** The first stale reads: status, app server and node. */
  staleSamples: string[];
}

let serial = 0;
const draft = (): Draft => ({ title: `peer comparison ${++serial} at ${Date.now()}`, description: 'A write→read pair.', body: 'Written to the primary, read back at once.' });

/**
 * `count` Conduit users registered through `baseUrl`, each keeping what the server hands back. Register them
 * before measuring, and let replication catch up: a sign-up is a write too, and a server that reads the user
 * on a replica that has not replayed it yet (TypeORM's replication does) refuses their token.
 */
export function signUp(baseUrl: string, count: number): Promise<TokenKeepingClient[]> {
  return Promise.all(Array.from({ length: count }, () => TokenKeepingClient.registered(baseUrl, `peer_${Date.now().toString(36)}_${++serial}`)));
}

/**
 * `pairs` write→read pairs by `users`, concurrently: each creates an article and at once GETs it by slug,
 * keeping the token and cookie the app returns (the template's contract; a server that issues none gets none
 * back). Stops early, between pairs, when `stopping` is aborted.
 */
export async function writeThenRead(users: readonly TokenKeepingClient[], pairs: number, stopping: AbortSignal): Promise<PairsOutcome> {
  const outcome: PairsOutcome = { pairs: 0, stale: 0, staleWriteAnswers: 0, failedReads: 0, failedWrites: 0, readsNamingNode: 0, readsFromReplicas: 0, tokensIssued: false, staleSamples: [] };
  let started = 0;
  await Promise.all(
    users.map(async (client) => {
      while (started < pairs && !stopping.aborted) {
        started++;
        const written = draft();
        const write = await client.send('POST', '/api/articles', { article: written }).catch(() => undefined);
        const writeVerdict = judgeWrite(write);
        if (writeVerdict === 'failed') {
          outcome.failedWrites++;
          continue;
        }
        if (writeVerdict === 'stale') {
          outcome.pairs++;
          outcome.stale++;
          outcome.staleWriteAnswers++;
          if (outcome.staleSamples.length < 3) outcome.staleSamples.push(`404 to the write of "${written.title}" from ${write!.headers['x-app-instance']}`);
          continue;
        }
        const { slug } = write!.json<{ article: { slug: string } }>().article;
        const read = await client.send('GET', `/api/articles/${slug}`).catch(() => undefined);
        outcome.pairs++;
        const verdict = read ? judgeRead(written, read) : 'failed';
        if (verdict === 'failed') outcome.failedReads++;
        if (verdict === 'stale') {
          outcome.stale++;
          if (outcome.staleSamples.length < 3) {
            const h = read!.headers;
            outcome.staleSamples.push(`${read!.status} for article ${slug} from ${h['x-app-instance']}, node ${h['x-db-node'] ?? 'not named'}`);
          }
        }
        const node = read?.headers['x-db-node'];
        if (typeof node === 'string') {
          outcome.readsNamingNode++;
          if (node.startsWith('db-replica-')) outcome.readsFromReplicas++;
        }
        outcome.tokensIssued ||= client.holdsToken;
      }
    }),
  );
  return outcome;
}
