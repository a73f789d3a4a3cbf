import { electPrimary, RoleObservation } from './primary-election';
import { fakeNode } from './testing/fakes';

const node = (name: string, role: 'primary' | 'replica' | 'down', timeline = 1): RoleObservation => ({
  node: fakeNode(name),
  name,
  reachable: role !== 'down',
  inRecovery: role === 'replica',
  readOnly: role === 'replica',
  timeline,
});

describe('electPrimary', () => {
  it('should elect the one writable node', () => {
    expect(electPrimary([node('a', 'primary'), node('b', 'replica'), node('c', 'replica')]).primary?.name).toBe('a');
  });

  it('should elect the promoted node while the old primary is down', () => {
    expect(electPrimary([node('a', 'down'), node('b', 'primary', 2), node('c', 'replica', 2)]).primary?.name).toBe('b');
  });

  it('should elect nobody while no node accepts writes (between the old primary\'s loss and a promotion)', () => {
    expect(electPrimary([node('a', 'down'), node('b', 'replica'), node('c', 'replica')])).toEqual({ reason: 'no reachable node accepts writes' });
  });

  it('should elect nobody when two nodes claim to be primary on the same timeline', () => {
    expect(electPrimary([node('a', 'primary', 2), node('b', 'primary', 2)]).reason).toMatch(/a and b all claim to be primary/);
  });

  it('should elect the first Galera member in the configured order, all of them taking writes', () => {
    const member = (name: string, role: 'primary' | 'down') => ({ ...node(name, role), multiWriter: true });
    expect(electPrimary([member('galera-1', 'primary'), member('galera-2', 'primary'), member('galera-3', 'primary')]).primary?.name).toBe('galera-1');
    expect(electPrimary([member('galera-1', 'down'), member('galera-2', 'primary'), member('galera-3', 'primary')]).primary?.name).toBe('galera-2');
  });

  it('should still elect nobody when a writable node that is no Galera member claims the role beside one', () => {
    expect(electPrimary([{ ...node('galera-1', 'primary'), multiWriter: true }, node('stray', 'primary')]).reason).toMatch(/all claim to be primary/);
  });

  it('should prefer the claimant on the highest timeline', () => {
    expect(electPrimary([node('old', 'primary', 1), node('new', 'primary', 2), node('c', 'replica', 2)]).primary?.name).toBe('new');
  });

  it('should elect nobody when the only claimant is behind a timeline a replica has already seen', () => {
    expect(electPrimary([node('old', 'primary', 1), node('c', 'replica', 2)]).reason).toMatch(/behind timeline 2/);
  });

  it('should not count one node known by two addresses twice', () => {
    const same = node('a', 'primary');
    expect(electPrimary([same, { ...same, node: fakeNode('10.0.0.1') }]).primary?.name).toBe('a');
  });

  // Issue 14, item 11: a PITR copy of this very cluster (same system identifier) promoted on a later timeline won.
  describe('where Patroni is asked', () => {
    const led = (o: RoleObservation, leadership: RoleObservation['leadership']): RoleObservation => ({ ...o, leadership });

    it('should elect the node Patroni confirms over a writable copy on a later timeline that Patroni says does not lead', () => {
      const election = electPrimary([led(node('a', 'primary', 3), 'leader'), led(node('copy', 'primary', 4), 'not-leader'), node('c', 'replica', 3)]);

      expect(election.primary?.name).toBe('a');
    });

    it('should elect nobody when the only writable node has no Patroni answering for it', () => {
      expect(electPrimary([led(node('copy', 'primary', 4), 'unanswered'), node('c', 'replica', 3)]).reason).toMatch(/copy accepts writes but Patroni there does not answer/);
    });

    it('should elect nobody when the only writable node\'s Patroni says it does not lead', () => {
      expect(electPrimary([led(node('a', 'primary'), 'not-leader'), node('c', 'replica')]).reason).toMatch(/a accepts writes but Patroni there says it does not lead/);
    });
  });

  it('should elect no node of another cluster, and name it', () => {
    const stray = { ...node('stray', 'primary', 9), systemIdentifier: '7399999999999999999' };

    expect(electPrimary([stray, { ...node('c', 'replica'), systemIdentifier: '7300000000000000001' }], '7300000000000000001').reason).toMatch(/stray accepts writes but belongs to another cluster/);
  });
});
