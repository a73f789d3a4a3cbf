import { join } from 'node:path';
import { pgbackrestConfig, STANZA } from './backups';
import { STACK_DIR_MOUNT } from './paths';

/** The configuration's `key=value` lines of one section. */
function sectionOf(config: string, name: string): Record<string, string> {
  const [, body = ''] = config.split(`[${name}]\n`);
  return Object.fromEntries(
    body
      .split('\n')
      .filter((line) => line.includes('=') && !line.startsWith('['))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('pgbackrestConfig', () => {
  const config = pgbackrestConfig(['db-primary', 'db-replica-1', 'db-replica-2']);

  it('should reach every node by its data directory and socket, as the servers see STACK_DIR', () => {
    const stanza = sectionOf(config, STANZA);

    expect(stanza).toEqual({
      'pg1-path': join(STACK_DIR_MOUNT, 'data', 'db-primary'),
      'pg1-socket-path': join(STACK_DIR_MOUNT, 'run', 'db-primary'),
      'pg2-path': join(STACK_DIR_MOUNT, 'data', 'db-replica-1'),
      'pg2-socket-path': join(STACK_DIR_MOUNT, 'run', 'db-replica-1'),
      'pg3-path': join(STACK_DIR_MOUNT, 'data', 'db-replica-2'),
      'pg3-socket-path': join(STACK_DIR_MOUNT, 'run', 'db-replica-2'),
    });
  });

  it("should back up from a standby, into the backup service's data, with locks of this stack's own", () => {
    const global = sectionOf(config, 'global');

    expect(global['backup-standby']).toBe('y');
    expect(global['repo1-path']).toBe(join(STACK_DIR_MOUNT, 'data', 'backup'));
    // The default, /tmp/pgbackrest, would be shared with every other stack on the machine.
    expect(global['lock-path'].startsWith(`${STACK_DIR_MOUNT}/`)).toBe(true);
  });
});
