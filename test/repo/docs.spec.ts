import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { configSchema } from '../../src/config/app-config';
import { SERVICES } from '../../stack/topology';

// The README and docs/ name files, commands, settings and each other's sections; nothing they name may be
// missing. The Docker facts are checked against the compose file in test/compose/readme.spec.ts, the settings'
// and metrics' tables in src/config and src/metrics.

const ROOT = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const TRACKED = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((path) => path !== '' && existsSync(join(ROOT, path)));
const TRACKED_NAMES = new Set(TRACKED.map((path) => basename(path)));
const TOP_LEVEL = new Set(TRACKED.map((path) => path.split('/')[0]));
/** Every file of the project that is not prose (and not a vendored suite): where a named variable must be read. */
const CODE = TRACKED.filter((path) => !path.endsWith('.md') && !path.startsWith('test/realworld/') && statSync(join(ROOT, path)).size < 1_000_000)
  .map((path) => readFileSync(join(ROOT, path), 'utf8'))
  .join('\n');

/** The page's text outside fenced code blocks (code may show output, other machines' paths, placeholders). */
const proseOf = (text: string): string => text.replace(/^```[\s\S]*?^```/gm, '');
/** Inline code spans of the page, fences excluded. */
const codeSpansOf = (text: string): string[] => [...proseOf(text).matchAll(/`([^`\n]+)`/g)].map(([, span]) => span);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
const anchorsOf = (text: string): string[] =>
  [...proseOf(text).matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => anchorOf(heading));
const headingsOf = (text: string): string[] => [...proseOf(text).matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => heading.trim());

/** A repository path a page names in code (`src/cache/redis-cache.ts`, `test/e2e/**`, `bench/results/<time>.json`). */
function repoPathsOf(text: string): string[] {
  return codeSpansOf(text)
    .flatMap((span) => span.split(/[\s,()]+/))
    .filter((word) => /^[\w.-]+\/[\w./*<>{}-]*$/.test(word) && TOP_LEVEL.has(word.split('/')[0]));
}

/** The part of a path before its first placeholder or wildcard: that much must exist. */
const fixedPartOf = (path: string): string => {
  const segments = path.replace(/\/$/, '').split('/');
  const open = segments.findIndex((segment) => /[*<>{}]/.test(segment));
  return (open < 0 ? segments : segments.slice(0, open)).join('/');
};

const IGNORED = read('.gitignore')
  .split('\n')
  .map((line) => line.trim().replace(/^\//, '').replace(/\/$/, ''))
  .filter((line) => line !== '' && !line.startsWith('#'));

describe('the README and docs/', () => {
  it.each(PAGES)('%s should link only to files and sections that exist', (page) => {
    const text = read(page);
    const links = [...proseOf(text).matchAll(/\]\(([^)\s]+)\)/g)].map(([, target]) => target).filter((t) => !/^[a-z]+:/.test(t));

    const broken = links.filter((link) => {
      const [file, anchor] = link.split('#');
      const target = file === '' ? page : posix.normalize(posix.join(dirname(page), file));
      if (!existsSync(join(ROOT, target))) return true;
      return anchor !== undefined && !anchorsOf(read(target)).includes(anchor);
    });

    expect(broken).toEqual([]);
  });

  it('should link every page of docs/ from the README', () => {
    const readme = read('README.md');

    expect(PAGES.filter((page) => page !== 'README.md' && !readme.includes(`](${page})`))).toEqual([]);
  });

  it.each(PAGES)('%s should name only repository paths that exist (or that the project writes, git-ignored)', (page) => {
    const missing = repoPathsOf(read(page)).filter((path) => {
      const fixed = fixedPartOf(path);
      if (existsSync(join(ROOT, fixed))) return false;
      return !IGNORED.some((ignored) => fixed === ignored || fixed.startsWith(`${ignored}/`));
    });

    expect(missing).toEqual([]);
  });

  it.each(PAGES)('%s should name only files the repository has, when it names one by its bare name', (page) => {
    const named = codeSpansOf(read(page)).filter((span) => /^[\w-]+(\.[\w-]+)*\.(ts|mts|mjs|js|json|yml|yaml|conf|lua|sh|sql|md)$/.test(span));

    expect(named.filter((name) => !TRACKED_NAMES.has(name))).toEqual([]);
  });

  it.each(PAGES)('%s should give only npm scripts and stack verbs that exist', (page) => {
    const text = read(page);
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const stackCli = read('stack/cli.ts');

    const npmRuns = [...text.matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map(([, name]) => name);
    const stackVerbs = [...text.matchAll(/npm run stack -- ([a-z][\w-]*)/g)].map(([, verb]) => verb);

    expect(npmRuns.filter((name) => !scripts.includes(name))).toEqual([]);
    expect(stackVerbs.filter((verb) => !stackCli.includes(`case '${verb}':`))).toEqual([]);
  });

  it.each(PAGES)('%s should name only settings and variables that something in the repository reads', (page) => {
    const settings = new Set(Object.keys(configSchema.shape));
    const mentioned = [...new Set(codeSpansOf(read(page)).flatMap((span) => span.match(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g) ?? []))];

    const unknown = mentioned.filter((name) => !settings.has(name) && !CODE.includes(name));

    expect(unknown).toEqual([]);
  });

  it('should point code comments that cite a page and a section at a section that exists', () => {
    const sources = TRACKED.filter((path) => /\.(ts|mts|mjs|js|sh)$/.test(path));
    const citations = sources.flatMap((path) =>
      [...read(path).matchAll(/\b(README|docs\/[\w-]+\.md), "([^"]+)"/g)].map(([, file, section]) => ({
        path,
        page: file === 'README' ? 'README.md' : file,
        section,
      })),
    );

    expect(citations.length).toBeGreaterThan(0);
    expect(citations.filter(({ page, section }) => !existsSync(join(ROOT, page)) || !headingsOf(read(page)).includes(section))).toEqual([]);
  });

  it("should show `npm run setup` starting every service of the native stack at that service's address and port", () => {
    const readme = read('README.md');
    const [, block] = /```\n(== starting the native stack[\s\S]*?)```/.exec(readme) ?? [];
    const healthy = [...(block ?? '').matchAll(/✔ ([\w-]+) +healthy +10\.213\.0\.(\d+):(\d+)/g)].map(([, name, host, port]) => ({ name, host, port: Number(port) }));
    const started = SERVICES.filter((s) => !s.optional && s.port !== null);

    expect(healthy.filter(({ name, host, port }) => {
      const spec = SERVICES.find((s) => s.name === name);
      return spec === undefined || spec.address.split('.').pop() !== host || spec.port !== port;
    })).toEqual([]);
    expect(started.filter((s) => !healthy.some((line) => line.name === s.name)).map((s) => s.name)).toEqual([]);
    expect(block).toMatch(/✔ migrate +completed/);
  });
});
