import { peakRssMibOf, resetPeakRss } from './peak-rss';
import { pipelinedPositionQueries } from './pipelined-queries';
import { cpuSecondsBetween, cpuSnapshot, CpuSnapshot } from './process-cpu';
import type { Scenario, ScenarioName } from './scenarios';
import { Role, servingProcesses } from './serving-processes';
import type { StatementCounter } from './statement-counter';
import type { Variant, VariantName } from './variants';
import { Load, runWrk, WrkReport } from './wrk';
import { PUBLIC_HOSTNAME } from '../stack/topology';

/** One measured run of one scenario against one variant. */
export interface RunResult {
  scenario: ScenarioName;
  variant: VariantName;
  round: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: WrkReport['latencyMs'];
  /** Non-2xx responses plus socket errors. */
  errors: number;
  servedBy: Record<string, number>;
  /** HIT ÷ (HIT + MISS) of X-Cache; null when no response carried it. */
  cacheHitRatio: number | null;
  /** X-Edge-Cache: HIT ÷ every response: the share nginx answered from its edge cache. */
  edgeHitShare: number;
  durationSeconds: number;
  /** CPU seconds of each role during the run; less its idle background once withoutBackground() has been applied. */
  cpuSeconds: Record<Role, number>;
  cpuMsPerRequest: number;
  /** The highest peak RSS of the variant's server processes during the run. */
  peakRssMib: number | null;
  /** Statements the PostgreSQL nodes ran for the app's database, less the idle background, per request. */
  dbStatementsPerRequest: number;
  /** Those statements less the ones that rode in another's round trip (pipelined position queries). */
  dbRoundTripsPerRequest: number;
}

export interface MeasurementContext {
  load: Load;
  /** The access tokens of the bench's signed-in users: each wrk thread of a signed-in scenario plays one. */
  signedIn: readonly string[];
  statements: StatementCounter;
  /** Statements per second while nothing is under load (the lag monitors' probes). */
  backgroundStatementsPerSecond: number;
}

export const urlOf = (variant: Variant) => `http://${PUBLIC_HOSTNAME}${variant.lbPort === 80 ? '' : `:${variant.lbPort}`}/`;

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

/**
 * The run without its idle background: each role's CPU seconds, less what it uses in as long with nothing under
 * load (`idlePerSecond`, measured once, after the last scenario). The app's topology monitor probes each node once
 * a second whatever the load: charged to the requests, it would weigh the more the fewer there were. Not clamped
 * at 0: a role near idle (PostgreSQL in cached-get) may go slightly below, and a median needs its noise both ways.
 */
export function withoutBackground(run: RunResult, idlePerSecond: Record<Role, number> | undefined): RunResult {
  const cpuSeconds = Object.fromEntries(
    Object.entries(run.cpuSeconds).map(([role, used]) => [role, used - (idlePerSecond?.[role as Role] ?? 0) * run.durationSeconds]),
  ) as Record<Role, number>;
  return { ...run, cpuSeconds, cpuMsPerRequest: (sum(Object.values(cpuSeconds)) * 1000) / run.requests };
}

export function cpuByRole(variant: Variant): Record<Role, CpuSnapshot> {
  const processes = servingProcesses(variant.pids());
  return Object.fromEntries(Object.entries(processes).map(([role, pids]) => [role, cpuSnapshot(pids)])) as Record<Role, CpuSnapshot>;
}

export function cpuSecondsByRole(before: Record<Role, CpuSnapshot>, after: Record<Role, CpuSnapshot>): Record<Role, number> {
  return Object.fromEntries(Object.keys(after).map((role) => [role, cpuSecondsBetween(before[role as Role], after[role as Role])])) as Record<Role, number>;
}

/** Runs wrk once, discarding the figures: JIT, connection pools, caches and nginx's keepalive warm up. */
export async function warmUp(scenario: Scenario, variant: Variant, load: Load, signedIn: readonly string[]): Promise<void> {
  const report = await runWrk(urlOf(variant), scenario.script, scenario.args(load, signedIn), load);
  scenario.ran?.(report);
}

export async function measure(scenario: Scenario, variant: Variant, round: number, context: MeasurementContext): Promise<RunResult> {
  const { load, statements } = context;
  const statementsBefore = sum(Object.values(await statements.count()));
  const pipelinedBefore = await pipelinedPositionQueries(variant);
  variant.pids().forEach(resetPeakRss);
  const cpuBefore = cpuByRole(variant);
  const report = await runWrk(urlOf(variant), scenario.script, scenario.args(load, context.signedIn), load);
  const cpuAfter = cpuByRole(variant);
  const statementsAfter = sum(Object.values(await statements.count()));
  const pipelined = (await pipelinedPositionQueries(variant)) - pipelinedBefore;
  scenario.ran?.(report);

  const cpuSeconds = cpuSecondsByRole(cpuBefore, cpuAfter);
  const { HIT = 0, MISS = 0 } = report.cache;
  const background = context.backgroundStatementsPerSecond * report.durationSeconds;
  const statementsRun = statementsAfter - statementsBefore - background;
  return {
    scenario: scenario.name,
    variant: variant.name,
    round,
    requests: report.requests,
    requestsPerSecond: report.requestsPerSecond,
    durationSeconds: report.durationSeconds,
    latencyMs: report.latencyMs,
    errors: report.statusErrors + report.socketErrors,
    servedBy: report.servedBy,
    cacheHitRatio: HIT + MISS > 0 ? HIT / (HIT + MISS) : null,
    edgeHitShare: (report.edge.HIT ?? 0) / report.requests,
    cpuSeconds,
    cpuMsPerRequest: (sum(Object.values(cpuSeconds)) * 1000) / report.requests,
    peakRssMib: peakRssMibOf(variant.pids()),
    dbStatementsPerRequest: statementsRun / report.requests,
    dbRoundTripsPerRequest: (statementsRun - pipelined) / report.requests,
  };
}
