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
});
