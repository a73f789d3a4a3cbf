import type { GoalResult } from './goals';
import type { ScenarioSummary, VariantSummary } from './summary';
import type { Role } from './serving-processes';
import type { VariantName } from './variants';

/** `db-replica-1` → `r1`, `db-primary` → `p`; a request served by two nodes shows both (`r1+p`). */
export const shortNodeName = (nodes: string) =>
  nodes
    .split(',')
    .map((node) => node.trim().replace(/^db-replica-/, 'r').replace(/^db-primary$/, 'p'))
    .join('+');

/** The largest shares first; those under 0.5 % (a few cache misses among hits) only in the JSON. */
function servedBy(share: Record<string, number>): string {
  const entries = Object.entries(share)
    .filter(([, s]) => s >= 0.005)
    .sort(([, a], [, b]) => b - a);
  return entries.map(([nodes, s]) => `${shortNodeName(nodes)} ${(s * 100).toFixed(0)}%`).join(' ') || '—';
}

const fixed = (digits: number) => (n: number | null) => (n === null || !Number.isFinite(n) ? '—' : n.toFixed(digits));
const percent = (n: number | null) => (n === null ? '—' : `${(n * 100).toFixed(1)}%`);

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = header.map((_, i) => rows.every((r) => /^[−+\d.,%—\s()]*$/.test(r[i])));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function variantRow(scenario: string, v: VariantSummary): string[] {
  return [
    scenario,
    v.variant,
    fixed(0)(v.requestsPerSecond),
    fixed(1)(v.latencyMs.p50),
    fixed(1)(v.latencyMs.p99),
    fixed(0)(v.latencyMs.max),
    String(v.errors),
    servedBy(v.servedByShare),
    percent(v.cacheHitRatio),
    percent(v.edgeHitShare),
    `${fixed(2)(v.cpuMsPerRequest)} (${fixed(2)(v.appCpuMsPerRequest)})`,
    fixed(0)(v.peakRssMib),
    fixed(2)(v.dbStatementsPerRequest),
    fixed(2)(v.dbRoundTripsPerRequest),
  ];
}

export function resultsTable(summaries: ScenarioSummary[]): string {
  return table(
    ['scenario', 'variant', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'served by (X-DB-Node)', 'cache hit', 'edge hit', 'CPU ms/req (app)', 'RSS MiB', 'DB stmt/req', 'DB trips/req'],
    summaries.flatMap((s) => s.variants.map((v) => variantRow(s.scenario, v))),
  );
}

/**
 * The app against one other variant, scenario by scenario: each side's req/s and CPU ms per request (medians;
 * in parentheses its own servers'), and the medians of the paired rounds' ratios. Scenarios without it are left out.
 */
export function versusTable(summaries: ScenarioSummary[], other: VariantName): string {
  const rows = summaries.flatMap((s) => {
    const app = s.variants.find((v) => v.variant === 'app');
    const peer = s.variants.find((v) => v.variant === other);
    const paired = s.comparisons.find((c) => c.variant === other);
    if (!app || !peer || !paired) return [];
    const cpu = (v: VariantSummary) => `${fixed(2)(v.cpuMsPerRequest)} (${fixed(2)(v.appCpuMsPerRequest)})`;
    return [[s.scenario, fixed(0)(app.requestsPerSecond), fixed(0)(peer.requestsPerSecond), fixed(2)(paired.throughputRatio), cpu(app), cpu(peer), fixed(2)(paired.cpuPerRequestRatio)]];
  });
  return table(['scenario', 'app req/s', `${other} req/s`, `req/s app ÷ ${other}`, 'app CPU ms/req', `${other} CPU ms/req`, `CPU/req app ÷ ${other}`], rows);
}

/**
 * What nginx's edge cache gains over the same requests each reaching an app: the share of hot reads it answered and
 * the req/s, each side's median and the median of the paired rounds' gains. Scenarios without app-edge are left out.
 */
export function edgeTable(summaries: ScenarioSummary[]): string {
  const rows = summaries.flatMap((s) => {
    const app = s.variants.find((v) => v.variant === 'app');
    const edge = s.variants.find((v) => v.variant === 'app-edge');
    const paired = s.comparisons.find((c) => c.variant === 'app-edge');
    if (!app || !edge || !paired) return [];
    const gain = 1 / paired.throughputRatio;
    return [[s.scenario, percent(edge.edgeHitShare), fixed(0)(app.requestsPerSecond), fixed(0)(edge.requestsPerSecond), `×${fixed(2)(gain)}`, fixed(0)(edge.requestsPerSecond - app.requestsPerSecond)]];
  });
  return table(['scenario', 'edge hits', 'app req/s', 'app-edge req/s', 'req/s app-edge ÷ app', 'req/s gained'], rows);
}

export function goalsTable(goals: GoalResult[]): string {
  return table(
    ['scenario', 'target', 'measured', 'goal', ''],
    goals.map((g) => [g.scenario, g.goal, g.shown, g.target, g.pass ? '✔ pass' : '✘ FAIL']),
  );
}

/** Each variant's CPU with nothing under load, in ms per second: every serving process, its own servers in parentheses. */
export function backgroundTable(cpuSecondsPerSecond: Partial<Record<VariantName, Record<Role, number>>>): string {
  return table(
    ['variant', 'idle CPU ms/s (own)'],
    Object.entries(cpuSecondsPerSecond).map(([variant, byRole]) => {
      const whole = Object.values(byRole).reduce((a, b) => a + b, 0);
      return [variant, `${fixed(1)(whole * 1000)} (${fixed(1)(byRole.app * 1000)})`];
    }),
  );
}
