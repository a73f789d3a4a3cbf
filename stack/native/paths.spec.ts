import { join } from 'node:path';
import { STACK_DIR, STACK_DIR_MOUNT, throughMount } from './paths';

describe('throughMount', () => {
  it('should show a path under STACK_DIR at the same place under the mount', () => {
    expect(throughMount(join(STACK_DIR, 'data', 'db-primary'))).toBe(join(STACK_DIR_MOUNT, 'data', 'db-primary'));
  });

  it('should refuse a path outside STACK_DIR, which the mount does not show', () => {
    expect(() => throughMount(join(STACK_DIR, '..', 'stack', 'patroni', 'post-bootstrap.sh'))).toThrow(/is not under/);
  });

  it('should keep STACK_DIR_MOUNT outside every checkout, where any user can enter', () => {
    expect(STACK_DIR_MOUNT.startsWith('/run/')).toBe(true);
  });
});
