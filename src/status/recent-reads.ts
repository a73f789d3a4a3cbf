import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../request-context/request-context';

/** Where a read was served: a database node's name, or `cache` for a Redis hit. */
export interface ServedRead {
  node: string;
  route: string;
  /** Epoch milliseconds. */
  at: number;
}

export const CACHE_NODE = 'cache';
const CAPACITY = 50;

/** This app server's last reads and where they went: what the status page lights up. */
@Injectable()
export class RecentReads {
  private readonly reads: ServedRead[] = [];

  /** Records a finished request's reads (writes are not reads; a cache hit counts as a read from the cache). */
  record(context: RequestContext | undefined, now = Date.now()): void {
    if (!context) return;
    const reads = context.dbOperations.filter(({ route }) => route !== 'primary:write');
    if (reads.length === 0 && context.cacheStatus === 'HIT') reads.push({ node: CACHE_NODE, route: 'cache:hit' });
    for (const { node, route } of reads) this.reads.push({ node, route, at: now });
    if (this.reads.length > CAPACITY) this.reads.splice(0, this.reads.length - CAPACITY);
  }

  /** The last reads, newest first, and how many of them each node served. */
  snapshot(): { last: ServedRead[]; byNode: Record<string, number> } {
    const byNode: Record<string, number> = {};
    for (const { node } of this.reads) byNode[node] = (byNode[node] ?? 0) + 1;
    return { last: [...this.reads].reverse(), byNode };
  }
}
