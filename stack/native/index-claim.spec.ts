import { Claim, findHolder, freeIndex, heldElsewhereMessage, IndexProbes, takenMessage } from './index-claim';

const HERE = '/work/b/.stack-1';

/** Probes of a machine where `claim` is on record and processes run from `directories`. */
function machine({ claim = null as Claim | null, directories = [] as string[], ownDaemonsRunning = false, existing = ['/work/a'] } = {}): IndexProbes {
  return { claim: () => claim, processDirectories: () => directories, ownDaemonsRunning: () => ownDaemonsRunning, exists: (path) => existing.includes(path) };
}

describe('findHolder', () => {
  it("should name this checkout when the claim is this checkout's stack directory", () => {
    expect(findHolder(HERE, machine({ claim: { checkout: '/work/b', stackDir: HERE } }))).toEqual({ by: 'this checkout' });
  });

  it("should name the claiming checkout while processes run in the index's namespaces", () => {
    const holder = findHolder(HERE, machine({ claim: { checkout: '/work/a', stackDir: '/work/a/.stack-1' }, directories: ['/work/a'] }));

    expect(holder).toEqual({ by: 'another checkout', checkout: '/work/a', gone: false, recorded: true });
  });

  it('should say so when the claiming checkout was deleted while its stack ran', () => {
    const holder = findHolder(HERE, machine({ claim: { checkout: '/tmp/ci/p', stackDir: '/tmp/ci/p/.stack-1' }, directories: ['/'] }));

    expect(holder).toMatchObject({ by: 'another checkout', checkout: '/tmp/ci/p', gone: true });
  });

  it('should hold nobody to a claim once nothing runs in the namespaces (a crash, a reboot)', () => {
    expect(findHolder(HERE, machine({ claim: { checkout: '/work/a', stackDir: '/work/a/.stack-1' } }))).toEqual({ by: 'nobody' });
  });

  it('should count an unclaimed stack as this checkout’s when one of its own daemons runs', () => {
    expect(findHolder(HERE, machine({ directories: ['/work/b'], ownDaemonsRunning: true }))).toEqual({ by: 'this checkout' });
  });

  it('should guess an unclaimed stack’s checkout from its processes’ shortest working directory', () => {
    const holder = findHolder(HERE, machine({ directories: ['/work/a/.stack-1/data/db-primary', '/', '/work/a', '/work/a/.stack-1/data/redis'] }));

    expect(holder).toEqual({ by: 'another checkout', checkout: '/work/a', gone: false, recorded: false });
  });
});

describe('freeIndex', () => {
  it('should suggest the lowest index without namespaces, never the taken one', () => {
    expect(freeIndex(['nrs-dns', 'nrs1-dns', 'nrs12-dns', 'other'], 3)).toBe(2);
    expect(freeIndex(['nrs1-dns'], 0)).toBe(2);
  });
});

describe('takenMessage', () => {
  it('should name the holding checkout, another index, and how to stop the holder there', () => {
    const message = takenMessage({ by: 'another checkout', checkout: '/work/a', gone: false, recorded: true }, 1, 2);

    expect(message).toContain('stack index 1 is taken by the stack of the checkout /work/a');
    expect(message).toContain('STACK_INDEX=2 npm run stack -- up');
    expect(message).toContain('cd /work/a && STACK_INDEX=1 npm run stack -- down');
  });

  it('should send `down` here when the holding checkout no longer exists', () => {
    const message = takenMessage({ by: 'another checkout', checkout: '/tmp/ci/p', gone: true, recorded: true }, 1, 2);

    expect(message).toContain('/tmp/ci/p, which no longer exists');
    expect(message).not.toContain('cd /tmp/ci/p');
    expect(message).toContain('STACK_INDEX=1 npm run stack -- down');
  });
});

describe('heldElsewhereMessage', () => {
  it('should say that nothing was stopped, and where to stop the holder', () => {
    const message = heldElsewhereMessage({ by: 'another checkout', checkout: '/work/a', gone: false, recorded: true }, 1);

    expect(message).toMatch(/nothing was stopped/);
    expect(message).toContain('cd /work/a && STACK_INDEX=1 npm run stack -- down');
  });
});
