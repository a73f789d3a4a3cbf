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

export interface PairsOutcome {
  /** Pairs whose write was acknowledged (201), and so whose read counts. */
  pairs: number;
  stale: number;
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
 * `pairs` write→read pairs by `clients` concurrent signed-in users of `baseUrl`: each creates an article and at
 * once GETs it by slug, keeping the token and cookie the app returns (the template's contract; a server that
 * issues none gets none back). Stops early, between pairs, when `stopping` is aborted.
 */
export async function writeThenRead(baseUrl: string, pairs: number, clients: number, stopping: AbortSignal): Promise<PairsOutcome> {
  const outcome: PairsOutcome = { pairs: 0, stale: 0, failedReads: 0, failedWrites: 0, readsNamingNode: 0, readsFromReplicas: 0, tokensIssued: false, staleSamples: [] };
  let started = 0;
  const users = await Promise.all(Array.from({ length: clients }, () => TokenKeepingClient.registered(baseUrl, `peer_${Date.now().toString(36)}_${++serial}`)));
  await Promise.all(
    users.map(async (client) => {
      while (started < pairs && !stopping.aborted) {
        started++;
        const written = draft();
        const write = await client.send('POST', '/api/articles', { article: written }).catch(() => undefined);
        if (write?.status !== 201) {
          outcome.failedWrites++;
          continue;
        }
        const { slug } = write.json<{ article: { slug: string } }>().article;
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
