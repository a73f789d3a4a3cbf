import { RequestContext } from '../request-context/request-context';
import { CACHE_NODE, RecentReads } from './recent-reads';

function finishedRequest(operations: [node: string, route: string][], cacheStatus?: 'HIT' | 'MISS'): RequestContext {
  const context = new RequestContext('r');
  operations.forEach(([node, route]) => context.recordDbNode(node, route));
  context.cacheStatus = cacheStatus;
  return context;
}

describe('RecentReads', () => {
  it('should keep reads, newest first, with how many each node served, and leave writes out', () => {
    const reads = new RecentReads();

    reads.record(finishedRequest([['db-replica-1', 'replica']]), 1000);
    reads.record(finishedRequest([['db-primary', 'primary:write'], ['db-primary', 'primary:after-write']]), 2000);
    reads.record(finishedRequest([['db-replica-2', 'replica:token-wait']]), 3000);

    expect(reads.snapshot()).toEqual({
      last: [
        { node: 'db-replica-2', route: 'replica:token-wait', at: 3000 },
        { node: 'db-primary', route: 'primary:after-write', at: 2000 },
        { node: 'db-replica-1', route: 'replica', at: 1000 },
      ],
      byNode: { 'db-replica-1': 1, 'db-primary': 1, 'db-replica-2': 1 },
    });
  });

  it('should count a cache hit as a read served by the cache', () => {
    const reads = new RecentReads();

    reads.record(finishedRequest([], 'HIT'), 1000);
    reads.record(finishedRequest([], undefined), 2000);

    expect(reads.snapshot().last).toEqual([{ node: CACHE_NODE, route: 'cache:hit', at: 1000 }]);
  });

  it('should keep only the last 50', () => {
    const reads = new RecentReads();

    for (let i = 0; i < 60; i++) reads.record(finishedRequest([['db-replica-1', 'replica']]), i);

    const { last, byNode } = reads.snapshot();
    expect(last).toHaveLength(50);
    expect(last.at(-1)?.at).toBe(10);
    expect(byNode).toEqual({ 'db-replica-1': 50 });
  });
});
