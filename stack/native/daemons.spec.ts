import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastLines } from './daemons';

describe('lastLines', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'last-lines-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should give the last lines of a log, without its final newline', () => {
    const log = join(dir, 'db-primary.log');
    writeFileSync(log, 'one\ntwo\nthree\nConfig is empty.\n');

    expect(lastLines(log, 2)).toBe('three\nConfig is empty.');
  });

  it('should give the whole of a shorter log, and nothing for a missing one', () => {
    const log = join(dir, 'redis.log');
    writeFileSync(log, 'only\n');

    expect(lastLines(log, 40)).toBe('only');
    expect(lastLines(join(dir, 'none.log'), 40)).toBe('');
  });
});
