import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inNamespace } from '../../stack/native/daemons';
import { runAsync } from '../../stack/native/shell';
import { PUBLIC_HOSTNAME } from '../../stack/topology';
import { delayReplicas, undelayReplicas } from './support/replica-delay';

const COLLECTION = resolve(__dirname, '..', 'realworld', 'Conduit.postman_collection.json');

interface NewmanReport {
  run: {
    stats: { requests: { total: number; failed: number }; assertions: { total: number; failed: number } };
    failures: { error: { name: string; test?: string; message: string }; source?: { name?: string } }[];
  };
}

/**
 * The RealWorld suite, run by newman as a user would: in the client's namespace, through the stack's DNS and
 * nginx, with no delay between requests (upstream's runner waits 500 ms, which would hide replication lag).
 */
async function runRealWorldSuite(): Promise<{ requests: number; failedRequests: number; assertions: number; failedAssertions: number; failures: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-newman-'));
  const report = join(dir, 'report.json');
  const user = `rw${Date.now().toString(36)}`;
  try {
    // No --delay-request: newman's default is none (it refuses an explicit 0).
    const newman = [process.execPath, require.resolve('newman/bin/newman.js'), 'run', COLLECTION];
    const globals = { APIURL: `http://${PUBLIC_HOSTNAME}/api`, USERNAME: user, EMAIL: `${user}@mail.com`, PASSWORD: 'password' };
    // -x: failed assertions are counted from the report, not guessed from the exit code.
    const options = ['--reporters', 'json', '--reporter-json-export', report, '-x', ...Object.entries(globals).flatMap(([k, v]) => ['--global-var', `${k}=${v}`])];
    const output = await runAsync(inNamespace('client', [...newman, ...options]));
    if (!existsSync(report)) throw new Error(`newman wrote no report:\n${output}`);
    const { run } = JSON.parse(readFileSync(report, 'utf8')) as NewmanReport;
    return {
      requests: run.stats.requests.total,
      failedRequests: run.stats.requests.failed,
      assertions: run.stats.assertions.total,
      failedAssertions: run.stats.assertions.failed,
      failures: run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.test ?? f.error.name}: ${f.error.message}`),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('The RealWorld API suite (newman, Conduit.postman_collection.json)', () => {
  it('should pass every assertion with no delay between requests', async () => {
    const outcome = await runRealWorldSuite();

    expect(outcome.failures).toEqual([]);
    expect(outcome).toMatchObject({ requests: 32, failedRequests: 0, failedAssertions: 0 });
    expect(outcome.assertions).toBeGreaterThan(300);
  });

  it('should pass every assertion with both replicas 500 ms behind (read-your-writes through the cookie)', async () => {
    await delayReplicas('500ms');
    try {
      const outcome = await runRealWorldSuite();

      expect(outcome.failures).toEqual([]);
      expect(outcome).toMatchObject({ requests: 32, failedRequests: 0, failedAssertions: 0 });
    } finally {
      await undelayReplicas();
    }
  });
});
