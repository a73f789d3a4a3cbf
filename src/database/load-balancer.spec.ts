import type { QueryResult } from 'pg';
import { RequestContext } from '../request-context/request-context';
import { DatabaseTopology } from './database-topology';
import { AnalyticsOnPrimaryError } from './analytics-on-primary.error';
import { Host } from './host';
import { FallbackPolicy, LoadBalancer } from './load-balancer';
import { formatLsn, parseLsn, UNKNOWN_POSITION } from './lsn';
import { PrimaryUnavailableError } from './primary-unavailable.error';
import { ReplicaUnavailableError } from './replica-unavailable.error';
import { ConnectionRole, RoutedConnection } from './routed-connection';
import { ConsistencyRequirement, Session, TokenRequirement } from './session';
import { admittedReplica, analyticsReplica, excludedReplica, fakeNode, FakeNode, hysteresis } from './testing/fakes';

/**
 * A replica on `timeline`, replayed up to `replayLsn`, as the monitor judged it: an older timeline than the
 * primary's is a diverged history (an old primary not yet rewound), excluded at once.
 */
function replicaOn(name: string, timeline: number, { replayLsn, lagBytes = 0, problem = null as string | null }: { replayLsn: string; lagBytes?: number; problem?: string | null }) {
  const host = new Host(fakeNode(name), hysteresis);
  const observed = { reachable: true, role: 'replica' as const, inRecovery: true, timeline, replayLsn, lagBytes, lagSeconds: 0 };
  host.recordProbe({ problem: null, observed });
  if (problem !== null) host.recordProbe({ problem, immediate: true, observed });
  return host;
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

function balancer(
  replicas: Host[],
  {
    fallback = 'primary' as FallbackPolicy,
    tokenWaitMs = 0,
    primary = {} as FakeNode | null,
    primaryTimeline = undefined as number | undefined,
    analyticsWaitMs = 0,
    writersInterchangeable = false,
  } = {},
) {
  const topology = new DatabaseTopology(() => {
    throw new Error('not in unit tests');
  });
  replicas.forEach((r) => topology.hosts.add(r));
  topology.setPrimary(primary ? fakeNode('primary', primary) : undefined, 'no reachable node accepts writes');
  const position = { primaryLsn: undefined, primaryTimeline, probeAll: async () => undefined };
  return new LoadBalancer(topology, { fallback, fallbackMaxLagBytes: 1000, tokenWaitMs, trackPositions: true, analyticsWaitMs, writersInterchangeable }, position);
}

/** Two healthy replicas; `failing` makes nodes fail their statements. */
function withTwoReplicas(failing: Record<string, Error> = {}) {
  const list = [admittedReplica('r1', { failure: failing.r1 }), admittedReplica('r2', { failure: failing.r2 })];
  return { lb: balancer(list, { primary: { failure: failing.primary } }), list };
}

/** One statement on a connection of `role`, as a TypeORM query runner sends it: the node that answered. */
async function statement(lb: LoadBalancer, role: ConnectionRole): Promise<string> {
  const connection = new RoutedConnection(lb, role, RequestContext.current()?.session);
  try {
    const { rows } = (await connection.query('SELECT 1')) as QueryResult<{ node: string }>;
    return rows[0].node;
  } finally {
    connection.release();
  }
}
const read = (lb: LoadBalancer) => statement(lb, 'replica');
const write = (lb: LoadBalancer) => statement(lb, 'primary');

interface SessionSetup {
  token?: Partial<TokenRequirement>;
  distrust?: 'foreign-token';
  consistency?: ConsistencyRequirement;
}

const inRequest = <T>(fn: (context: RequestContext) => Promise<T>, setup: SessionSetup = {}) => {
  const context = new RequestContext('test');
  if (setup.token) context.session.requireToken({ position: 0n, issuedAt: Date.now(), ...setup.token });
  if (setup.distrust) context.session.distrustToken(setup.distrust);
  if (setup.consistency) context.session.applyRouteConsistency(setup.consistency);
  return RequestContext.run(context, () => fn(context));
};
const writePositionOf = async (session: Session) => {
  await session.settled();
  return session.writeLsn;
};

describe('LoadBalancer', () => {
  describe('plain reads', () => {
    it('should send reads to replicas in turn, one request at a time', async () => {
      const { lb } = withTwoReplicas();

      const served = [await inRequest(() => read(lb)), await inRequest(() => read(lb))];

      expect(served).toEqual(['r1', 'r2']);
    });

    it('should keep a request on the replica it started on', async () => {
      const { lb } = withTwoReplicas();

      const served = await inRequest(async () => [await read(lb), await read(lb), await read(lb)]);

      expect(served).toEqual(['r1', 'r1', 'r1']);
    });

    it('should keep reads a request runs concurrently on one replica', async () => {
      const { lb } = withTwoReplicas();

      const served = await inRequest(() => Promise.all([read(lb), read(lb), read(lb)]));

      expect(served).toEqual(['r1', 'r1', 'r1']);
    });

    it('should let a request whose first replica failed before serving it choose another', async () => {
      const { lb, list } = withTwoReplicas({ r1: refused() });

      const served = await inRequest(async () => [await read(lb), await read(lb)]);

      expect(served).toEqual(['r2', 'r2']);
      expect(list[0].eligible).toBe(false);
    });

    it('should send writes to the primary, and the same request\'s later reads too', async () => {
      const { lb } = withTwoReplicas();

      const served = await inRequest(async (context) => {
        const wrote = await write(lb);
        const readAfter = await read(lb);
        return { wrote, read: readAfter, nodes: context.dbNodes, routes: context.routes };
      });

      expect(served).toEqual({ wrote: 'primary', read: 'primary', nodes: ['primary'], routes: ['primary:write', 'primary:after-write'] });
    });

    it('should record the position after a write as the request\'s write position', async () => {
      const lb = balancer([admittedReplica('r1')], { primary: { position: parseLsn('0/5000') } });

      const writeLsn = await inRequest(async (context) => {
        await write(lb);
        return writePositionOf(context.session);
      });

      expect(writeLsn).toBe(parseLsn('0/5000'));
    });
  });

  it('should send the client to the primary when the position after its write cannot be read', async () => {
    const lb = balancer([admittedReplica('r1', { replayLsn: 'FFFFFFFF/0' })], { tokenWaitMs: 1000 });

    const writeLsn = await inRequest(async (context) => {
      await write(lb); // the fake primary answers no position
      return writePositionOf(context.session);
    });
    const routes = await inRequest(async (context) => [await read(lb), ...context.routes], { token: { position: writeLsn } });

    expect(writeLsn).toBe(UNKNOWN_POSITION);
    expect(routes).toEqual(['primary', 'primary:token-ahead']);
  });

  it('should move a request off its replica when it must see a position raised after its first read, to one that has it or the primary', async () => {
    const behind = admittedReplica('behind', { replayLsn: '0/100', position: parseLsn('0/100') });
    const lb = balancer([behind, admittedReplica('ahead', { replayLsn: '0/900', position: parseLsn('0/900') })]);

    const served = await inRequest(async (context) => {
      const first = await read(lb);
      context.session.requirePosition(parseLsn('0/500')); // e.g. the last write to a resource it reads next
      return [first, await read(lb), await read(lb)];
    });

    expect(served).toEqual(['behind', 'ahead', 'ahead']);
  });

  it('should never send a read to a replica behind what the request has already seen (a cache entry, an earlier read)', async () => {
    const behind = admittedReplica('behind', { replayLsn: '0/100', position: parseLsn('0/100') });
    const ahead = admittedReplica('ahead', { replayLsn: '0/900', position: parseLsn('0/900') });
    const lb = balancer([behind, ahead]);

    const served = await inRequest(async (context) => {
      context.session.observe(parseLsn('0/800')); // served from the cache an entry read at 0/800
      return read(lb);
    });

    expect(served).toBe('ahead');
  });

  describe('failures', () => {
    it('should retry a failed read on another replica and exclude the failed one', async () => {
      const { lb, list } = withTwoReplicas({ r1: refused() });

      const served = await inRequest(() => read(lb));

      expect(served).toBe('r2');
      expect(list[0].eligible).toBe(false);
    });

    it('should fall back to the primary when every replica fails', async () => {
      const { lb } = withTwoReplicas({ r1: refused(), r2: refused() });

      await expect(inRequest(() => read(lb))).resolves.toBe('primary');
    });

    it('should fall back to the primary, not another replica, when the request\'s own replica fails mid-request', async () => {
      const { lb, list } = withTwoReplicas();

      const served = await inRequest(async () => {
        const first = await read(lb);
        (list[0].node as unknown as FakeNode).failure = refused();
        return [first, await read(lb)];
      });

      expect(served).toEqual(['r1', 'primary']);
    });

    // Issue 14, item 8: only node failures exclude a node. A pool's queue timeout or one recovery conflict is
    // load or bad luck: excluding for it moves the load to the next replica, which then goes down too.
    const poolExhausted = () => new Error('timeout exceeded when trying to connect');
    const recoveryConflict = () =>
      Object.assign(new Error('canceling statement due to conflict with recovery'), { code: '40001', detail: 'User query might have needed to see row versions that must be removed.' });

    it('should read elsewhere, without excluding it, when a replica\'s pool is exhausted', async () => {
      const list = [admittedReplica('r1', { connectFailure: poolExhausted() }), admittedReplica('r2')];
      const lb = balancer(list);

      const served = await inRequest(() => read(lb));

      expect(served).toBe('r2');
      expect(list[0].eligible).toBe(true);
    });

    it('should read elsewhere, without excluding it, when a statement on a replica meets a recovery conflict', async () => {
      const { lb, list } = withTwoReplicas({ r1: recoveryConflict() });

      const served = await inRequest(() => read(lb));

      expect(served).toBe('r2');
      expect(list[0].eligible).toBe(true);
    });

    it('should not cascade: a spike that exhausts every replica\'s pool sends reads to the primary meanwhile, and leaves every replica eligible', async () => {
      const list = [admittedReplica('r1', { connectFailure: poolExhausted() }), admittedReplica('r2', { connectFailure: poolExhausted() })];
      const lb = balancer(list);

      const duringSpike = await Promise.all([1, 2, 3, 4].map(() => inRequest(() => read(lb))));
      list.forEach((host) => ((host.node as unknown as FakeNode).connectFailure = undefined));
      const afterSpike = await inRequest(() => read(lb));

      expect(duringSpike).toEqual(['primary', 'primary', 'primary', 'primary']);
      expect(list.map((host) => host.eligible)).toEqual([true, true]);
      expect(afterSpike).toMatch(/^r[12]$/);
    });

    it('should rethrow errors that are the query\'s fault without trying other nodes', async () => {
      const syntax = Object.assign(new Error('syntax error'), { code: '42601' });
      const { lb, list } = withTwoReplicas({ r1: syntax });

      await expect(inRequest(() => read(lb))).rejects.toBe(syntax);
      expect(list[0].eligible).toBe(true);
    });
  });

  describe('when no replica is eligible', () => {
    it('should read from the primary by default, and say why', async () => {
      const lb = balancer([excludedReplica('r1', 5000)]);

      const routes = await inRequest(async (context) => {
        await read(lb);
        return context.routes;
      });

      expect(routes).toEqual(['primary:no-eligible-replica']);
    });

    it('should read from the least-lagging replica within the cap under least-lagging', async () => {
      const lb = balancer([excludedReplica('r1', 900), excludedReplica('r2', 500)], { fallback: 'least-lagging' });

      await expect(inRequest(() => read(lb))).resolves.toBe('r2');
    });

    it('should never take a replica on an older timeline than the primary under least-lagging, however little it lags', async () => {
      const diverged = replicaOn('old-primary', 1, { replayLsn: '0/9000', lagBytes: 10, problem: 'on timeline 1, the primary on 2' });
      const lagging = replicaOn('r2', 2, { replayLsn: '0/900', lagBytes: 500, problem: 'lag 500 bytes' });
      const lb = balancer([diverged, lagging], { fallback: 'least-lagging', primaryTimeline: 2 });

      await expect(inRequest(() => read(lb))).resolves.toBe('r2');
    });

    it('should fail fast when no replica is within the cap under least-lagging', async () => {
      const lb = balancer([excludedReplica('r1', 5000)], { fallback: 'least-lagging' });

      await expect(inRequest(() => read(lb))).rejects.toBeInstanceOf(ReplicaUnavailableError);
    });

    it('should fail fast under fail', async () => {
      const lb = balancer([excludedReplica('r1', 5000)], { fallback: 'fail' });

      await expect(inRequest(() => read(lb))).rejects.toBeInstanceOf(ReplicaUnavailableError);
    });
  });

  describe('read-your-writes (consistency tokens)', () => {
    it('should pick a replica known to have replayed the token', async () => {
      const lb = balancer([admittedReplica('behind', { replayLsn: '0/100' }), admittedReplica('ahead', { replayLsn: '0/300' })]);

      await expect(inRequest(() => read(lb), { token: { position: parseLsn('0/200') } })).resolves.toBe('ahead');
    });

    it('should wait for a replica that replays the token within the budget', async () => {
      const catchingUp = admittedReplica('r1', { replayLsn: '0/100' });
      const lb = balancer([catchingUp], { tokenWaitMs: 500 });
      setTimeout(() => ((catchingUp.node as unknown as FakeNode).position = parseLsn('0/300')), 30);

      const routes = await inRequest(async (context) => [await read(lb), ...context.routes], { token: { position: parseLsn('0/200') } });

      expect(routes).toEqual(['r1', 'replica:token-wait']);
    });

    it("should ask only the rotation's next replica when it has replayed the token", async () => {
      const asked: string[] = [];
      const replicas = ['r1', 'r2'].map((name) => admittedReplica(name, { replayLsn: '0/100', position: parseLsn('0/300') }));
      for (const replica of replicas) {
        const node = replica.node as unknown as { positionAfter: (moment: number) => Promise<bigint | null> };
        const answer = node.positionAfter.bind(node);
        node.positionAfter = (moment) => (asked.push(replica.name), answer(moment));
      }
      const lb = balancer(replicas, { tokenWaitMs: 500 });

      const routes = await inRequest(async (context) => [await read(lb), ...context.routes], { token: { position: parseLsn('0/200') } });

      expect({ routes, asked }).toEqual({ routes: ['r1', 'replica:token-wait'], asked: ['r1'] });
    });

    it('should share one position query among the reads waiting on a replica at once', async () => {
      const catchingUp = admittedReplica('r1', { replayLsn: '0/100' });
      let asked = 0;
      (catchingUp.node as unknown as { positionAfter: () => Promise<bigint> }).positionAfter = () => (asked++, new Promise((resolve) => setTimeout(() => resolve(parseLsn('0/300')), 20)));
      const lb = balancer([catchingUp], { tokenWaitMs: 500 });
      const waitingRead = () => inRequest(async (context) => [await read(lb), ...context.routes], { token: { position: parseLsn('0/200') } });

      const routes = await Promise.all([waitingRead(), waitingRead(), waitingRead()]);

      expect({ routes, asked }).toEqual({ routes: Array(3).fill(['r1', 'replica:token-wait']), asked: 1 });
    });

    // Issue 14, item 9: a frozen replica (it accepts connections, never answers) that is still eligible until
    // its next probes must not hold the wait past its budget (the position query's own timeout is seconds).
    it('should keep to the budget when an eligible replica never answers the position query', async () => {
      const frozen = admittedReplica('r1', { replayLsn: '0/100' });
      (frozen.node as unknown as { positionAfter: () => Promise<never> }).positionAfter = () => new Promise<never>(() => undefined);
      const lb = balancer([frozen], { tokenWaitMs: 50 });
      const started = performance.now();

      const routes = await Promise.race([
        inRequest(async (context) => [await read(lb), ...context.routes], { token: { position: parseLsn('0/200') } }),
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 1 s'), 1000)),
      ]);

      expect(routes).toEqual(['primary', 'primary:token-ahead']);
      expect(performance.now() - started).toBeLessThan(500);
    });

    // MariaDB: MASTER_GTID_WAIT answers when the replica has applied the token, in one statement, no polling.
    it('should let a node that can wait for the position do so, once, instead of asking its position again and again', async () => {
      const replica = admittedReplica('r1', { replayLsn: '0/100', position: parseLsn('0/100') });
      const calls: string[] = [];
      Object.assign(replica.node, {
        positionAfter: async () => (calls.push('positionAfter'), parseLsn('0/100')),
        waitForPosition: async (position: bigint, timeoutMs: number) => {
          calls.push(`waitForPosition(${formatLsn(position)}, ≤${Math.ceil(timeoutMs)} ms)`);
          await new Promise((resolve) => setTimeout(resolve, 40));
          return true;
        },
      });
      const lb = balancer([replica], { tokenWaitMs: 500 });
      // The budget handed on is what is left of the wait; the clock stands still so that is all of it (a loaded CI
      // machine once spent 4 ms between the deadline and the call).
      const clock = jest.spyOn(performance, 'now').mockReturnValue(1_000);

      const routes = await inRequest(async (context) => [await read(lb), ...context.routes], { token: { position: parseLsn('0/200') } }).finally(() =>
        clock.mockRestore(),
      );

      expect(routes).toEqual(['r1', 'replica:token-wait']);
      expect(calls).toEqual(['waitForPosition(0/200, ≤500 ms)']);
    });

    it('should go to the primary when a node that waits for the position itself times out', async () => {
      const replica = admittedReplica('r1', { replayLsn: '0/100', position: parseLsn('0/100') });
      Object.assign(replica.node, { waitForPosition: async (_position: bigint, timeoutMs: number) => (await new Promise((r) => setTimeout(r, timeoutMs)), false) });
      const lb = balancer([replica], { tokenWaitMs: 30 });

      const routes = await inRequest(async (context) => [await read(lb), ...context.routes], { token: { position: parseLsn('0/200') } });

      expect(routes).toEqual(['primary', 'primary:token-ahead']);
    });

    it('should go to the primary when no replica catches up within the budget', async () => {
      const lb = balancer([admittedReplica('r1', { replayLsn: '0/100', position: parseLsn('0/100') })], { tokenWaitMs: 30 });

      const routes = await inRequest(async (context) => [await read(lb), ...context.routes], { token: { position: parseLsn('0/200') } });

      expect(routes).toEqual(['primary', 'primary:token-ahead']);
    });

    it.each(['foreign-token'] as const)('should go to the primary with an %s', async (distrust) => {
      const lb = balancer([admittedReplica('r1', { replayLsn: '0/900' })]);

      const routes = await inRequest(async (context) => [await read(lb), ...context.routes], { distrust });

      expect(routes).toEqual(['primary', `primary:${distrust}`]);
    });
  });

  // Issue 14, item 11: a write that lands on a node in recovery (demoted since the last probe) answered 500.
  describe('a token that names the replica the client read from (seenOn)', () => {
    /** Replicas whose positionAfter() calls are logged by name. */
    function askedReplicas(replicas: Host[]): string[] {
      const asked: string[] = [];
      for (const replica of replicas) {
        const node = replica.node as unknown as { positionAfter: (moment: number) => Promise<bigint | null> };
        const answer = node.positionAfter.bind(node);
        node.positionAfter = (moment) => (asked.push(replica.name), answer(moment));
      }
      return asked;
    }

    it('should read on the named replica again, out of turn, asking no position', async () => {
      const replicas = [admittedReplica('r1', { replayLsn: '0/300' }), admittedReplica('r2', { replayLsn: '0/300' })];
      const asked = askedReplicas(replicas);
      const lb = balancer(replicas);

      const served = await inRequest(async (context) => [await read(lb), (await context.session.outgoingPosition()).seenOn], { token: { position: parseLsn('0/200'), seenOn: 'r2' } });

      expect({ served, asked }).toEqual({ served: ['r2', 'r2'], asked: [] });
    });

    it("should read elsewhere only once it has the named replica's position, when that replica left the rotation", async () => {
      const left = excludedReplica('r2', 10_000_000);
      (left.node as unknown as FakeNode).position = parseLsn('0/500');
      const replicas = [admittedReplica('behind', { replayLsn: '0/400' }), left];
      const lb = balancer(replicas);
      const asked = askedReplicas(replicas);

      const routes = await inRequest(async (context) => [await read(lb), ...context.routes], { token: { position: parseLsn('0/200'), seenOn: 'r2' } });

      // r2 first, then the token wait asks 'behind', which has not replayed what the client may have seen on r2
      // (0/500): with a budget of 0, the primary.
      expect({ routes, asked }).toEqual({ routes: ['primary', 'primary:token-ahead'], asked: ['r2', 'behind'] });
    });

    it("should bound what the client saw on a replica that is gone by the primary's position", async () => {
      const lb = balancer([admittedReplica('r1', { replayLsn: '0/600' })], { primary: { position: parseLsn('0/500') } });

      const outgoing = await inRequest(async (context) => (await read(lb), context.session.outgoingPosition()), { token: { position: parseLsn('0/200'), seenOn: 'gone' } });

      expect(outgoing).toEqual({ lsn: parseLsn('0/600'), seenOn: 'r1' });
    });

    it('should send a client with an unresolvable claim to the primary, when neither the replica nor the primary answers', async () => {
      const left = excludedReplica('r2', 10_000_000);
      const lb = balancer([admittedReplica('r1', { replayLsn: '0/600' }), left], { primary: { position: undefined } });

      const routes = await inRequest(async (context) => [await read(lb), ...context.routes], { token: { position: parseLsn('0/200'), seenOn: 'r2' } });

      expect(routes).toEqual(['primary', 'primary:token-ahead']);
    });
  });

  describe('a write refused as read-only (SQLSTATE 25006)', () => {
    const readOnly = () => Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' });

    function withPrimaryThat(demoted: boolean) {
      const topology = new DatabaseTopology(() => {
        throw new Error('not in unit tests');
      });
      const primary = fakeNode('primary', { failure: readOnly() });
      topology.setPrimary(primary);
      const probeAll = jest.fn(async () => {
        if (demoted) topology.setPrimary(undefined, 'no reachable node accepts writes');
      });
      const lb = new LoadBalancer(
        topology,
        { fallback: 'primary', fallbackMaxLagBytes: 1000, tokenWaitMs: 0, trackPositions: true, analyticsWaitMs: 0 },
        { primaryLsn: undefined, primaryTimeline: undefined, probeAll },
      );
      return { lb, probeAll };
    }

    it('should probe at once and answer 503 (primary unavailable) when the primary turns out demoted', async () => {
      const { lb, probeAll } = withPrimaryThat(true);

      await expect(inRequest(() => write(lb))).rejects.toBeInstanceOf(PrimaryUnavailableError);
      expect(probeAll).toHaveBeenCalled();
    });

    it('should rethrow it when the primary is still primary (a READ ONLY transaction of the app\'s own)', async () => {
      const { lb } = withPrimaryThat(false);

      await expect(inRequest(() => write(lb))).rejects.toMatchObject({ code: '25006' });
    });
  });

  describe('while there is no primary (a failover in progress)', () => {
    it('should fail writes fast', async () => {
      const lb = balancer([admittedReplica('r1')], { primary: null });

      await expect(inRequest(() => write(lb))).rejects.toBeInstanceOf(PrimaryUnavailableError);
    });

    it('should keep plain reads on replicas', async () => {
      const lb = balancer([admittedReplica('r1')], { primary: null });

      await expect(inRequest(() => read(lb))).resolves.toBe('r1');
    });

    it('should serve a read that wanted the primary from the most advanced replica', async () => {
      const lb = balancer([excludedReplica('r1', 5000), admittedReplica('r2', { replayLsn: '0/900', lagBytes: 5000 })], { primary: null });
      const [lagging] = (lb as unknown as { hosts: { all(): Host[] } }).hosts.all();
      lagging.observeReplay(parseLsn('0/100'));

      const routes = await inRequest(async (context) => {
        context.session.startWrite(); // reads after a write want the primary
        return [await read(lb), ...context.routes];
      });

      expect(routes).toEqual(['r2', 'replica:no-primary(primary:after-write)']);
    });

    it('should not serve a read that wanted the primary from a replica on an older timeline, however far it replayed', async () => {
      const diverged = replicaOn('old-primary', 1, { replayLsn: '0/9000', problem: 'on timeline 1, the primary on 2' });
      const following = replicaOn('r2', 2, { replayLsn: '0/900' });
      const lb = balancer([diverged, following], { primary: null, primaryTimeline: 2 });

      const routes = await inRequest(async (context) => {
        context.session.startWrite();
        return [await read(lb), ...context.routes];
      });

      expect(routes).toEqual(['r2', 'replica:no-primary(primary:after-write)']);
    });

    it('should judge timelines among the replicas themselves when no primary was ever seen', async () => {
      const diverged = replicaOn('old-primary', 1, { replayLsn: '0/9000' });
      const following = replicaOn('r2', 2, { replayLsn: '0/900' });
      const lb = balancer([diverged, following], { primary: null });

      const node = await inRequest((context) => {
        context.session.startWrite();
        return read(lb);
      });

      expect(node).toBe('r2');
    });

    it("should fail a read after the request's own write fast when no replica has replayed that write", async () => {
      const lb = balancer([admittedReplica('r1', { replayLsn: '0/900', lagBytes: 5000 })], { primary: null });

      const read = inRequest((context) => {
        context.session.recordWrite(Promise.resolve(parseLsn('0/950')));
        return context.session.settled().then(() => statement(lb, 'replica'));
      });

      await expect(read).rejects.toBeInstanceOf(PrimaryUnavailableError);
    });

    it('should fail a strong read fast rather than serve it stale', async () => {
      const lb = balancer([admittedReplica('r1')], { primary: null });

      await expect(inRequest(() => read(lb), { consistency: { kind: 'strong' } })).rejects.toBeInstanceOf(PrimaryUnavailableError);
    });

    it('should fail a read inside usePrimary() fast too, rather than serve it from a replica', async () => {
      const lb = balancer([admittedReplica('r1')], { primary: null });

      await expect(inRequest((context) => context.session.withPrimaryReads(() => read(lb)))).rejects.toBeInstanceOf(PrimaryUnavailableError);
    });
  });

  describe('per-route consistency', () => {
    it('should read strong routes from the primary', async () => {
      const lb = balancer([admittedReplica('r1')]);

      await expect(inRequest(() => read(lb), { consistency: { kind: 'strong' } })).resolves.toBe('primary');
    });

    it('should read bounded-staleness routes from a replica within the bound, ignoring the token', async () => {
      const lb = balancer([admittedReplica('stale', { lagSeconds: 9 }), admittedReplica('fresh', { lagSeconds: 1, replayLsn: '0/100' })]);

      const served = await inRequest(() => read(lb), {
        consistency: { kind: 'bounded-staleness', maxStalenessMs: 2000 },
        token: { position: parseLsn('9/0') },
      });

      expect(served).toBe('fresh');
    });
  });

  describe('analytics (reports) and the analytics replica', () => {
    const report = { consistency: { kind: 'analytics' } as ConsistencyRequirement };

    it('should read an analytics route on the analytics replica, every read of the request there', async () => {
      const lb = balancer([admittedReplica('r1'), analyticsReplica('analytics'), admittedReplica('r2')]);

      const served = await inRequest(async () => [await read(lb), await read(lb), await read(lb)], report);

      expect(served).toEqual(['analytics', 'analytics', 'analytics']);
    });

    it('should read an analytics route there even after the request wrote (in usePrimary()), and with a token the replica has not reached', async () => {
      const lb = balancer([admittedReplica('r1', { replayLsn: '0/100' }), analyticsReplica('analytics')]);

      const served = await inRequest(
        async (context) => {
          await context.session.withPrimaryReads(() => write(lb));
          return read(lb);
        },
        { ...report, token: { position: parseLsn('9/0') } },
      );

      expect(served).toBe('analytics');
    });

    it('should read an analytics route inside usePrimary() from the primary, as asked', async () => {
      const lb = balancer([analyticsReplica('analytics')]);

      await expect(inRequest((context) => context.session.withPrimaryReads(() => read(lb)), report)).resolves.toBe('primary');
    });

    it('should fall back to a replica of the rotation when the analytics replica is down, never to the primary', async () => {
      const lb = balancer([analyticsReplica('analytics', { connectFailure: refused() }), admittedReplica('r1')]);

      const served = await inRequest(async (context) => {
        const node = await read(lb);
        return { node, route: context.dbOperations.at(-1)?.route };
      }, report);

      expect(served).toEqual({ node: 'r1', route: 'replica:analytics-fallback' });
    });

    it('should wait for a connection of a busy analytics replica (every one holds a report) rather than spill onto the rotation', async () => {
      const queueTimeout = () => new Error('timeout exceeded when trying to connect');
      const analytics = analyticsReplica('analytics', { connectFailure: queueTimeout() });
      const lb = balancer([analytics, admittedReplica('r1')], { analyticsWaitMs: 5000 });
      setTimeout(() => ((analytics.node as unknown as FakeNode).connectFailure = undefined), 250);

      await expect(inRequest(() => read(lb), report)).resolves.toBe('analytics');
    });

    it('should fall back to a replica once a busy analytics replica has kept a report waiting its whole budget', async () => {
      const lb = balancer([analyticsReplica('analytics', { connectFailure: new Error('timeout exceeded when trying to connect') }), admittedReplica('r1')], { analyticsWaitMs: 0 });

      await expect(inRequest(() => read(lb), report)).resolves.toBe('r1');
    });

    it('should refuse, loudly, what an analytics route would run on the primary (a raw query, a transaction, a write), unless in usePrimary()', async () => {
      const lb = balancer([analyticsReplica('analytics')]);

      await expect(inRequest(() => write(lb), report)).rejects.toBeInstanceOf(AnalyticsOnPrimaryError);
      await expect(inRequest((context) => context.session.withPrimaryReads(() => write(lb)), report)).resolves.toBe('primary');
    });

    it('should answer 503 (ReplicaUnavailableError) when neither an analytics replica nor a replica can take the report', async () => {
      const lb = balancer([analyticsReplica('analytics', { connectFailure: refused() }), excludedReplica('r1', 10_000_000)]);

      await expect(inRequest(() => read(lb), report)).rejects.toBeInstanceOf(ReplicaUnavailableError);
    });

    it('should never send a plain read to the analytics replica, in rotation or when every replica is excluded', async () => {
      const r1 = admittedReplica('r1');
      const lb = balancer([analyticsReplica('analytics'), r1, excludedReplica('r2', 10_000_000)]);

      const served = await Promise.all(Array.from({ length: 6 }, () => inRequest(() => read(lb))));
      r1.markDown('down');
      const withoutReplicas = await inRequest(() => read(lb));

      expect(new Set(served)).toEqual(new Set(['r1']));
      expect(withoutReplicas).toBe('primary');
    });

    it('should never send a plain read to the analytics replica under least-lagging, nor while there is no primary', async () => {
      const leastLagging = balancer([analyticsReplica('analytics'), excludedReplica('r1', 100)], { fallback: 'least-lagging' });
      const noPrimary = balancer([analyticsReplica('analytics')], { primary: null });

      await expect(inRequest(() => read(leastLagging))).resolves.toBe('r1');
      await expect(inRequest(() => read(noPrimary))).rejects.toBeInstanceOf(PrimaryUnavailableError);
    });
  });
});

describe('LoadBalancer on Galera (writers interchangeable)', () => {
  it('should move a write that cannot connect to its member to another synced member, at once', async () => {
    const lb = balancer([admittedReplica('galera-2'), admittedReplica('galera-3')], { primary: { connectFailure: refused() }, writersInterchangeable: true });

    expect(await inRequest(() => write(lb))).toBe('galera-2');
  });

  it('should not move a write off an unreachable primary and replicas (one writer): the write fails', async () => {
    const lb = balancer([admittedReplica('r1')], { primary: { connectFailure: refused() } });

    await expect(inRequest(() => write(lb))).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('LoadBalancer (what a read tells of its replica)', () => {
  it("should take the position read behind a read as the replica's replay, unless the node's read positions may run ahead of its commits (MariaDB)", async () => {
    const exact = admittedReplica('pg-replica', { replayLsn: '0/100', position: parseLsn('0/200') });
    const ahead = admittedReplica('mariadb-replica', { replayLsn: '0/100', position: parseLsn('0/200') });
    Object.assign(ahead.node, { readPositionsMayRunAhead: true });

    for (const replica of [exact, ahead]) {
      await inRequest((context) => (context.session.beginLoad(), read(balancer([replica]))));
      await new Promise((resolve) => setImmediate(resolve));
    }

    expect([exact.knownReplayLsn, ahead.knownReplayLsn]).toEqual([parseLsn('0/200'), parseLsn('0/100')]);
  });
});
