import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inNamespace } from '../../stack/native/daemons';
import { paths } from '../../stack/native/paths';
import { appEnv } from '../../stack/native/services';
import { codeBlockAfter } from '../support/markdown';
import { closeClient, get, operatorsUrl, request, type Response } from './support/client';

// The answers the README's quick start shows are the stack's: the same status, headers and body shape (values
// differ from run to run: ids, positions, dates).

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The fenced block after the first line containing `marker`: its status line, header names and body. */
function shownAnswer(marker: string): { status: string; headers: string[]; body: string } {
  const [head, body] = codeBlockAfter(README, marker).split('\n\n');
  const [status, ...headerLines] = head.split('\n');
  return { status, headers: headerLines.map((line) => line.split(':')[0].toLowerCase()), body: body.trim() };
}

/** Every key path of a JSON value (`articles[].author.username`), arrays folded into their first element. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [`${prefix}[]`] : keyPaths(value[0], `${prefix}[]`);
  if (value === null || typeof value !== 'object') return [prefix];
  return Object.entries(value).flatMap(([key, inner]) => keyPaths(inner, prefix === '' ? key : `${prefix}.${key}`));
}

const statusLineOf = (response: Response): string => `HTTP/1.1 ${response.status} ${response.status === 200 ? 'OK' : ''}`.trim();

describe("The README's quick start, against the running stack", () => {
  beforeAll(() => {
    // what `npm run setup` and compose's seed job load, so the article list is not empty (the seed is idempotent)
    const [command, ...args] = inNamespace('migrate', [process.execPath, paths.seedMain]);
    execFileSync(command, args, { env: appEnv('seed'), stdio: 'ignore' });
  });

  afterAll(() => closeClient());

  it('should show the first request answered as the stack answers it: status, headers and body shape', async () => {
    const shown = shownAnswer('The first request answers');

    const live = await get('/api/articles?limit=1');

    expect(shown.status).toBe(statusLineOf(live));
    expect(shown.headers.filter((name) => live.headers[name] === undefined)).toEqual([]);
    expect(keyPaths(JSON.parse(shown.body)).sort()).toEqual(keyPaths(live.json()).sort());
  });

  it("should show the replication report with only headers and fields the stack's report has", async () => {
    const shown = shownAnswer('replication report (the primary');

    const live = await request('GET', '/health/replication', { baseUrl: operatorsUrl() });

    expect(shown.status).toBe(statusLineOf(live));
    expect(shown.headers.filter((name) => live.headers[name] === undefined)).toEqual([]);
    const liveKeys = new Set(keyPaths(live.json()).flatMap((path) => path.split(/\.|\[\]\.?/)));
    const shownKeys = [...shown.body.matchAll(/"(\w+)":/g)].map(([, key]) => key);
    expect(shownKeys.length).toBeGreaterThan(10);
    expect(shownKeys.filter((key) => !liveKeys.has(key))).toEqual([]);
  });
});
