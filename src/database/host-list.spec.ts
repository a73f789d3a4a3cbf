import { Host } from './host';
import { HostList } from './host-list';
import { admittedReplica, fakeNode, hysteresis } from './testing/fakes';

describe('HostList', () => {
  it('should rotate over eligible replicas', () => {
    const list = new HostList([admittedReplica('r1'), admittedReplica('r2')]);

    expect([list.next(), list.next(), list.next()].map((r) => r?.name)).toEqual(['r1', 'r2', 'r1']);
  });

  it('should skip replicas that are not eligible and those excluded by the caller', () => {
    const r1 = admittedReplica('r1');
    const list = new HostList([r1, new Host(fakeNode('never-probed'), hysteresis), admittedReplica('r3')]);

    expect(list.next(new Set([r1]))?.name).toBe('r3');
    expect(list.next(new Set([r1]))?.name).toBe('r3');
  });

  it('should give nothing when no replica is eligible', () => {
    expect(new HostList([new Host(fakeNode('r1'), hysteresis)]).next()).toBeUndefined();
    expect(new HostList([]).next()).toBeUndefined();
  });
});
