/**
 * npm run chaos [-- --only <text>]: a steady load through nginx (readers, writers, clients that send their
 * consistency tokens back) while one fault at a time is injected into the native stack, then a table.
 * Loopback and the stack's own addresses only; every phase is bounded in time.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { closeClient, request } from '../stack/native/http-client';
import { paths, REPO_ROOT } from '../stack/native/paths';
import { withSuperuser } from '../stack/native/postgres';
import { leader, status, up } from '../stack/native/stack';
import { waitFor } from '../stack/native/shell';
import { service } from '../stack/topology';
import { Fault, FAULTS } from './faults';
import { LoadOutcome, startLoad } from './load';

interface Row extends Omit<LoadOutcome, 'acknowledged'> {
  fault: string;
  acknowledged: number;
  lostAcknowledged: number;
  wholeAfterMs: number;
  verdicts: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every service healthy, one leader, both app servers ready and every replica eligible on them. */
async function whole(): Promise<boolean> {
  if (!(await status()).every((s) => s.pid !== null && s.healthy) || !(await leader())) return false;
  for (const app of ['app-1', 'app-2']) {
    const health = await request('GET', '/health/replication', { baseUrl: `http://${service(app).address}:3000` }).catch(() => undefined);
    const view = health?.json();
    if (!view?.primary?.reachable || !view.replicas.every((r: { eligible: boolean }) => r.eligible)) return false;
  }
  return true;
}

async function lostOf(acknowledged: string[]): Promise<number> {
  const primary = await leader();
  if (!primary || acknowledged.length === 0) return 0;
  const rows = await withSuperuser(primary, (db) => db.query('SELECT count(*)::int AS n FROM conduit_article WHERE slug = ANY($1)', [acknowledged]), 'app');
  return acknowledged.length - rows.rows[0].n;
}

function judge(fault: Fault, row: Omit<Row, 'verdicts'>): string[] {
  const verdicts: string[] = [];
  const check = (ok: boolean, text: string) => verdicts.push(`${ok ? '✔' : '✘'} ${text}`);
  if (!fault.touchesPrimary) check(row.failedReads === 0, 'no failed read');
  check(row.staleTokenReads === 0, 'no stale token read');
  if (fault.name.includes('(sync)')) check(row.lostAcknowledged === 0, 'no acknowledged write lost');
  if (fault.name.startsWith('primary killed')) check(row.longestWriteGapMs <= 10_000, 'write gap ≤ 10 s');
  if (fault.name === 'primary stopped cleanly' || fault.name === 'planned switchover') check(row.longestWriteGapMs <= 3000, 'write gap ≤ 3 s');
  return verdicts;
}

async function runFault(fault: Fault): Promise<Row> {
  process.stdout.write(`· ${fault.name} … `);
  await fault.before?.();
  const load = await startLoad();
  await sleep(2000);
  const injectedAt = Date.now();
  await fault.inject();
  if (fault.absorbed) await waitFor(`${fault.name} to be absorbed`, fault.absorbed, { timeoutMs: 60_000, intervalMs: 200 });
  await fault.heal();
  await waitFor('the topology to be whole again', whole, { timeoutMs: 90_000, intervalMs: 250 });
  const wholeAfterMs = Date.now() - injectedAt;
  await sleep(2000);
  const outcome = await load.stop();
  const lostAcknowledged = await lostOf(outcome.acknowledged);
  await fault.after?.();
  await waitFor('the topology to be whole after clean-up', whole, { timeoutMs: 90_000, intervalMs: 250 });
  const row = { ...outcome, fault: fault.name, acknowledged: outcome.acknowledged.length, lostAcknowledged, wholeAfterMs };
  const verdicts = judge(fault, row);
  console.log(verdicts.join('  '));
  for (const sample of outcome.staleSamples) console.log(`    stale: ${sample}`);
  return { ...row, verdicts };
}

function printTable(rows: Row[]): void {
  const header = ['fault', 'reads', 'failed reads', 'writes', 'failed writes', 'longest write gap', 'acked writes lost', 'stale token reads', 'whole again after'];
  const lines = rows.map((r) => [
    r.fault,
    String(r.reads),
    String(r.failedReads),
    String(r.writes),
    String(r.failedWrites),
    `${(r.longestWriteGapMs / 1000).toFixed(1)} s`,
    `${r.lostAcknowledged} of ${r.acknowledged}`,
    `${r.staleTokenReads} of ${r.tokenReads}`,
    `${(r.wholeAfterMs / 1000).toFixed(1)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(['', format(header), format(widths.map((w) => '-'.repeat(w))), ...lines.map(format)].join('\n'));
  for (const r of rows) console.log(`${r.fault}: ${r.verdicts.join('  ')}`);
}

async function main(args: string[]): Promise<void> {
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const faults = FAULTS.filter((f) => !only || f.name.includes(only));
  if (!existsSync(paths.endpoints)) await up({ progress: console.log });
  await waitFor('the stack to be whole', whole, { timeoutMs: 60_000 });
  console.log(`chaos: ${faults.length} faults, one at a time, under load through nginx`);
  const rows: Row[] = [];
  for (const fault of faults) rows.push(await runFault(fault));
  printTable(rows);
  const dir = join(REPO_ROOT, 'chaos', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(rows, null, 2));
  console.log(`\nwritten to ${file}`);
  closeClient();
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`chaos: ${error.message}`);
  process.exit(1);
});
