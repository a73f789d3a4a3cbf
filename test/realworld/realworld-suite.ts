import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inNamespace } from '../../stack/native/daemons';
import { runAsync } from '../../stack/native/shell';
import { PUBLIC_HOSTNAME } from '../../stack/topology';

const COLLECTION = join(__dirname, 'Conduit.postman_collection.json');

/** The stack's Conduit API as users reach it: the public hostname (the stack's DNS) and nginx on port 80. */
export const STACK_API_URL = `http://${PUBLIC_HOSTNAME}/api`;

/** A request of the collection with failed assertions: what it was answered, and which assertions failed. */
export interface FailedRequest {
  request: string;
  /** Status and what the body says, e.g. `401 Missing or malformed token`; `no answer` when none came. */
  answer: string;
  /** The assertions' names (the collection's `tests[…]` carry no message of their own), or a script's error. */
  failed: string[];
}

/**
 * What one run counted. The collection skips the assertions on a body it did not get (`if (is200Response)`),
 * so `assertions` is smaller when answers fail: compare failed assertions, not the totals.
 */
export interface RealWorldOutcome {
  requests: number;
  /** Requests that got no answer (newman's count); an error status is an answer, judged by the assertions. */
  failedRequests: number;
  assertions: number;
  failedAssertions: number;
  /** In the collection's order. */
  failures: FailedRequest[];
}

interface NewmanReport {
  run: {
    stats: { requests: { total: number; failed: number }; assertions: { total: number; failed: number } };
    executions: { cursor: { ref: string }; item: { name: string }; response?: { code: number; stream?: { data: number[] } } }[];
    failures: { error: { name: string; test?: string; message: string }; source?: { name?: string }; cursor?: { ref?: string } }[];
  };
}

/** What an error body says: RealWorld's `errors.body`, a problem's `detail`, else its first 60 characters. */
function saying(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { body?: string[] }; detail?: string; title?: string };
    return parsed.errors?.body?.join('; ') ?? parsed.detail ?? parsed.title ?? '';
  } catch {
    return body.slice(0, 60);
  }
}

function answerOf(execution: NewmanReport['run']['executions'][number] | undefined): string {
  const response = execution?.response;
  if (!response) return 'no answer';
  if (response.code < 300) return String(response.code);
  return `${response.code} ${saying(Buffer.from(response.stream?.data ?? []).toString('utf8'))}`.trim();
}

/** Newman's failures, one entry per request that had any, with the answer it got. */
export function failedRequests(run: Pick<NewmanReport['run'], 'executions' | 'failures'>): FailedRequest[] {
  const byRef = new Map<string, FailedRequest>();
  for (const failure of run.failures) {
    const ref = failure.cursor?.ref ?? failure.source?.name ?? '?';
    const entry = byRef.get(ref) ?? { request: failure.source?.name ?? '?', answer: answerOf(run.executions.find((e) => e.cursor.ref === ref)), failed: [] };
    entry.failed.push(failure.error.test ?? `${failure.error.name}: ${failure.error.message}`);
    byRef.set(ref, entry);
  }
  return [...byRef.values()];
}

/**
 * The RealWorld suite, run by newman as a user would: in the client's namespace, through the stack's DNS and
 * nginx, with no delay between requests (upstream's runner waits 500 ms, which would hide replication lag).
 * `apiUrl` is where the collection's {{APIURL}} points: the template by default, another nginx port for the peer.
 * `fromNamespace` is the stack's service newman runs in (the client); null runs it in this machine's namespace,
 * for an API on 127.0.0.1 (the MariaDB specs' nginx). Each run registers users of its own, so runs against the
 * same database do not collide.
 */
export async function runRealWorldSuite(apiUrl = STACK_API_URL, { fromNamespace = 'client' as string | null } = {}): Promise<RealWorldOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-newman-'));
  const report = join(dir, 'report.json');
  const user = `rw${Date.now().toString(36)}`;
  try {
    // No --delay-request: newman's default is none (it refuses an explicit 0).
    const newman = [process.execPath, require.resolve('newman/bin/newman.js'), 'run', COLLECTION];
    const globals = { APIURL: apiUrl, USERNAME: user, EMAIL: `${user}@mail.com`, PASSWORD: 'password' };
    // -x: failed assertions are counted from the report, not guessed from the exit code.
    const options = ['--reporters', 'json', '--reporter-json-export', report, '-x', ...Object.entries(globals).flatMap(([k, v]) => ['--global-var', `${k}=${v}`])];
    const output = await runAsync(fromNamespace === null ? [...newman, ...options] : inNamespace(fromNamespace, [...newman, ...options]));
    if (!existsSync(report)) throw new Error(`newman wrote no report:\n${output}`);
    const { run } = JSON.parse(readFileSync(report, 'utf8')) as NewmanReport;
    return {
      requests: run.stats.requests.total,
      failedRequests: run.stats.requests.failed,
      assertions: run.stats.assertions.total,
      failedAssertions: run.stats.assertions.failed,
      failures: failedRequests(run),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
