import type { RealWorldOutcome } from '../../test/realworld/realworld-suite';
import { table } from '../report';
import type { OutageCounts } from './replica-outage';
import type { StartUpOutcome } from './start-up';
import type { PairsOutcome } from './write-read-pairs';

export type Contender = 'app' | 'app-typeorm';

/** Reads while a replica was stopped, by phase, and the failures by answer. */
export type OutageSummary = Pick<OutageCounts, 'phases' | 'total'> & { failures: Record<string, number> };

export const outageSummary = (counts: OutageCounts): OutageSummary => ({ phases: counts.phases, total: counts.total, failures: Object.fromEntries(counts.failures) });

/** What one side measured; a part left out (--only) is absent. */
export interface ContenderResults {
  staleReads?: PairsOutcome;
  staleReadsDelayed?: PairsOutcome;
  /** The RealWorld project's Postman collection by newman, every replica delayed: what a client's own suite sees. */
  realWorldDelayed?: RealWorldOutcome;
  /** As users see it: through nginx, which retries a 502/503/504 on the other app server. */
  outage?: OutageSummary;
  /** Directly against app-1's server of that side: what one app server answers. */
  outageDirect?: OutageSummary;
  startUp?: StartUpOutcome;
}

export interface ComparisonConditions {
  delay: string;
  replica: string;
  startUpSeconds: number;
}

const seconds = (ms: number | null, limit: number) => (ms === null ? `not within ${limit} s` : `${(ms / 1000).toFixed(1)} s`);
const percent = (part: number, whole: number) => (whole === 0 ? '—' : `${((part / whole) * 100).toFixed(0)} %`);

function staleCell(outcome: PairsOutcome | undefined): string {
  if (!outcome) return '—';
  const notes = [
    outcome.staleWriteAnswers ? `${outcome.staleWriteAnswers} in the write's own answer` : '',
    outcome.readsNamingNode > 0 ? `${percent(outcome.readsFromReplicas, outcome.readsNamingNode)} read on replicas` : '',
    outcome.failedReads ? `failed reads: ${outcome.failedReads}` : '',
    outcome.failedWrites ? `failed writes: ${outcome.failedWrites}` : '',
  ].filter(Boolean);
  return `${outcome.stale} of ${outcome.pairs}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

const tokenCell = (outcome: PairsOutcome | undefined) => (outcome ? (outcome.tokensIssued ? 'yes' : 'no') : '—');

function realWorldCell(outcome: RealWorldOutcome | undefined): string {
  if (!outcome) return '—';
  return `${outcome.failedAssertions} of ${outcome.assertions} (failed requests: ${outcome.failedRequests} of ${outcome.requests})`;
}

function outageCell(outage: OutageSummary | undefined): string {
  if (!outage) return '—';
  const { down } = outage.phases;
  return `${outage.total.failed} of ${outage.total.reads} (${down.failed} of ${down.reads} while down)`;
}

function startUpCells(startUp: StartUpOutcome | undefined, limit: number): [string, string] {
  if (!startUp) return ['—', '—'];
  const read =
    startUp.firstReadAfterMs === null
      ? `none within ${limit} s (${startUp.failedReads} tried${startUp.lastFailure ? `: ${startUp.lastFailure}` : ''})`
      : `${seconds(startUp.firstReadAfterMs, limit)}${startUp.failedReads ? ` (${startUp.failedReads} failed first)` : ''}`;
  return [seconds(startUp.readyAfterMs, limit), read];
}

/** The side-by-side table: one row per measurement, one column per side. */
export function comparisonTable(results: Record<Contender, ContenderResults>, conditions: ComparisonConditions): string {
  const { delay, replica, startUpSeconds } = conditions;
  const sides = [results.app, results['app-typeorm']];
  const startUps = sides.map((side) => startUpCells(side.startUp, startUpSeconds));
  return table(
    ['measurement', 'app (REPLICA_ROUTING=aware)', "app-typeorm (TypeORM's replication)"],
    [
      ['consistency token (header and cookie) handed to the client', ...sides.map((s) => tokenCell(s.staleReads ?? s.staleReadsDelayed))],
      ['stale reads right after a write, no added lag', ...sides.map((s) => staleCell(s.staleReads))],
      [`stale reads right after a write, replicas ${delay} behind`, ...sides.map((s) => staleCell(s.staleReadsDelayed))],
      [`failed assertions of the RealWorld suite, replicas ${delay} behind`, ...sides.map((s) => realWorldCell(s.realWorldDelayed))],
      [`failed reads, ${replica} stopped under GET loops, through nginx`, ...sides.map((s) => outageCell(s.outage))],
      [`failed reads, ${replica} stopped under GET loops, direct to one app server`, ...sides.map((s) => outageCell(s.outageDirect))],
      [`start-up with ${replica} down: /health/ready 200 after`, ...startUps.map(([ready]) => ready)],
      [`start-up with ${replica} down: first read served after`, ...startUps.map(([, read]) => read)],
    ],
  );
}

/** What the failed reads of each outage answered, most frequent first: one line per side and route. */
export function outageFailures(results: Record<Contender, ContenderResults>): string[] {
  return (Object.entries(results) as [Contender, ContenderResults][]).flatMap(([contender, side]) =>
    (
      [
        ['through nginx', side.outage],
        ['direct', side.outageDirect],
      ] as const
    ).flatMap(([route, outage]) => {
      const failures = Object.entries(outage?.failures ?? {}).sort(([, a], [, b]) => b - a);
      return failures.length ? [`${contender}, ${route}: ${failures.map(([answer, n]) => `${n} × ${answer}`).join('; ')}`] : [];
    }),
  );
}

/** The RealWorld suite's requests with failed assertions, by side: what each was answered, and which failed. */
export function realWorldFailures(results: Record<Contender, ContenderResults>): string[] {
  return (Object.entries(results) as [Contender, ContenderResults][]).flatMap(([contender, side]) =>
    (side.realWorldDelayed?.failures ?? []).map(({ request, answer, failed }) => `${contender}, ${request} (${answer}): ${failed.length} failed: ${failed.join('; ')}`),
  );
}
