import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** Shell scripts (with .ci/run, which has no extension), configs, env files, SQL, YAML, TypeScript, Dockerfiles. */
const MUST_BE_LF = /(\.(sh|conf|env|sql|ya?ml|m?ts)|(^|\/)(Dockerfile|\.env\.example)|^\.ci\/run)$/;

function git(...args: string[]): string {
  const result = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

describe('.gitattributes', () => {
  let checkout: string;
  beforeEach(() => (checkout = mkdtempSync(join(tmpdir(), 'crlf-checkout-'))));
  afterEach(() => rmSync(checkout, { recursive: true, force: true }));

  it('should exist at the root of the repository', () => {
    expect(existsSync(join(ROOT, '.gitattributes'))).toBe(true);
  });

  it('should check out the entrypoints, scripts, configs, YAML and TypeScript with LF under core.autocrlf=true (a Windows checkout)', () => {
    const files = git('ls-files').split('\n').filter((file) => MUST_BE_LF.test(file));
    expect(files).toEqual(expect.arrayContaining(['docker/patroni/entrypoint.sh', 'docker/client/entrypoint.sh', 'stack/patroni/patroni.yml', '.ci/run']));

    git('-c', 'core.autocrlf=true', 'checkout-index', `--prefix=${checkout}/`, '--', ...files);

    expect(files.filter((file) => readFileSync(join(checkout, file), 'utf8').includes('\r'))).toEqual([]);
  });

  it('should give LF to the kinds the repository has no file of yet: SQL, .yaml, env files', () => {
    const output = git('check-attr', 'eol', '--', 'src/database/migrations/any.sql', 'any/config.yaml', 'any/service.env');

    expect(output.trim().split('\n')).toEqual(['src/database/migrations/any.sql: eol: lf', 'any/config.yaml: eol: lf', 'any/service.env: eol: lf']);
  });
});
