import { RequestContext } from '../request-context/request-context';
import { LoadBalancer } from './load-balancer';
import { ReplicaList } from './replica-list';
import { admittedReplica, fakeNode, whereItRan } from './testing/fakes';

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

function balancerWith(failing: Record<string, Error> = {}) {
  const nodes = Object.fromEntries(['r1', 'r2', 'primary'].map((n) => [n, { failure: failing[n] }]));
  const replicas = new ReplicaList([admittedReplica('r1'), admittedReplica('r2')]);
  return { balancer: new LoadBalancer(fakeNode('primary'), replicas), replicas, work: whereItRan(nodes) };
}

const inRequest = <T>(fn: (context: RequestContext) => Promise<T>) => {
  const context = new RequestContext('test');
  return RequestContext.run(context, () => fn(context));
};

describe('LoadBalancer', () => {
  it('should send reads to replicas in turn, one request at a time', async () => {
    const { balancer, work } = balancerWith();

    const served = [await inRequest(() => balancer.read(work)), await inRequest(() => balancer.read(work))];

    expect(served).toEqual(['r1', 'r2']);
  });

  it('should keep a request on the replica it started on', async () => {
    const { balancer, work } = balancerWith();

    const served = await inRequest(async () => [await balancer.read(work), await balancer.read(work), await balancer.read(work)]);

    expect(served).toEqual(['r1', 'r1', 'r1']);
  });

  it('should send writes to the primary, and the same request\'s later reads too', async () => {
    const { balancer, work } = balancerWith();

    const served = await inRequest(async (context) => {
      const wrote = await balancer.write(work);
      const read = await balancer.read(work);
      return { wrote, read, nodes: context.dbNodes };
    });

    expect(served).toEqual({ wrote: 'primary', read: 'primary', nodes: ['primary'] });
  });

  it('should retry a failed read on another replica and exclude the failed one', async () => {
    const { balancer, replicas, work } = balancerWith({ r1: refused() });

    const served = await inRequest(() => balancer.read(work));

    expect(served).toBe('r2');
    expect(replicas.byName('r1')?.eligible).toBe(false);
  });

  it('should fall back to the primary when every replica fails', async () => {
    const { balancer, work } = balancerWith({ r1: refused(), r2: refused() });

    await expect(inRequest(() => balancer.read(work))).resolves.toBe('primary');
  });

  it('should fall back to the primary, not another replica, when the request\'s own replica fails mid-request', async () => {
    const nodes: Record<string, { failure?: Error }> = { r1: {}, r2: {}, primary: {} };
    const { balancer } = balancerWith();
    const work = whereItRan(nodes);

    const served = await inRequest(async () => {
      const first = await balancer.read(work);
      nodes.r1.failure = refused();
      return [first, await balancer.read(work)];
    });

    expect(served).toEqual(['r1', 'primary']);
  });

  it('should rethrow errors that are the query\'s fault without trying other nodes', async () => {
    const syntax = Object.assign(new Error('syntax error'), { code: '42601' });
    const { balancer, replicas, work } = balancerWith({ r1: syntax });

    await expect(inRequest(() => balancer.read(work))).rejects.toBe(syntax);
    expect(replicas.byName('r1')?.eligible).toBe(true);
  });

  it('should read from the primary when no replica is eligible', async () => {
    const balancer = new LoadBalancer(fakeNode('primary'), new ReplicaList([]));

    await expect(inRequest(() => balancer.read(whereItRan({})))).resolves.toBe('primary');
  });
});
