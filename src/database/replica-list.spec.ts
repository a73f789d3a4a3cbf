import { Replica } from './replica';
import { ReplicaList } from './replica-list';
import { admittedReplica, fakeNode, hysteresis } from './testing/fakes';

describe('ReplicaList', () => {
  it('should rotate over eligible replicas', () => {
    const list = new ReplicaList([admittedReplica('r1'), admittedReplica('r2')]);

    expect([list.next(), list.next(), list.next()].map((r) => r?.name)).toEqual(['r1', 'r2', 'r1']);
  });

  it('should skip replicas that are not eligible and those excluded by the caller', () => {
    const r1 = admittedReplica('r1');
    const list = new ReplicaList([r1, new Replica(fakeNode('never-probed'), hysteresis), admittedReplica('r3')]);

    expect(list.next(new Set([r1]))?.name).toBe('r3');
    expect(list.next(new Set([r1]))?.name).toBe('r3');
  });

  it('should give nothing when no replica is eligible', () => {
    expect(new ReplicaList([new Replica(fakeNode('r1'), hysteresis)]).next()).toBeUndefined();
    expect(new ReplicaList([]).next()).toBeUndefined();
  });
});
