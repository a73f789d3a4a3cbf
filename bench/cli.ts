/**
 * The benchmark:  npm run bench -- [--quick] [--rounds N] [--duration S] [--connections N] [--scenario a,b] [--no-build]
 *
 * Builds the app, brings the native stack up (or uses the running one), puts the comparison servers behind
 * the same nginx, and loads each through nginx with wrk from the client's namespace, in rounds of paired
 * runs. Prints the medians and the targets, and writes every figure to bench/results/<time>.json.
 * See docs/benchmark.md, "Benchmark".
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../stack/native/paths';
import { down, missingPackages } from '../stack/native/stack';
import { SERVICES } from '../stack/topology';
import { ARTICLES, fillCeilingCache, seedArticles, signInBenchUsers } from './bench-data';
import { evaluateGoals, GoalResult } from './goals';
import { cpuByRole, cpuSecondsByRole, measure, MeasurementContext, RunResult, warmUp, withoutBackground } from './measurement';
import { installBenchServers, removeBenchServers } from './nginx-bench-servers';
import { BenchOptions, parseOptions } from './options';
import { prepareStack, waitForEligibleReplicas } from './prepared-stack';
import { missingBenchPackages } from './prerequisites';
import { backgroundTable, edgeTable, goalsTable, resultsTable, versusTable } from './report';
import { HOT_ARTICLES, Scenario, scenarios } from './scenarios';
import { StatementCounter } from './statement-counter';
import { ScenarioSummary, summarize } from './summary';
import type { Role } from './serving-processes';
import { APP_BEHIND_NGINX, BENCH_SERVERS, startBenchServers, stopBenchServers, Variant, VariantName, VARIANTS } from './variants';

const RESULTS_DIR = join(__dirname, 'results');
const DB_NODES = SERVICES.filter((s) => s.kind.startsWith('postgres') && !s.optional).map((s) => s.name);
const BACKGROUND_SECONDS = 5;

const progress = (line: string) => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function assertPrerequisites(): void {
  const missing = [...missingPackages(), ...missingBenchPackages()];
  if (missing.length) throw new Error(`missing Debian packages: ${missing.join(' ')}\n  install them with: apt-get install -y ${missing.join(' ')}`);
}

async function backgroundStatementsPerSecond(statements: StatementCounter): Promise<number> {
  const total = async () => Object.values(await statements.count()).reduce((a, b) => a + b, 0);
  const before = await total();
  await sleep(BACKGROUND_SECONDS * 1000);
  return ((await total()) - before) / BACKGROUND_SECONDS;
}

/** Each variant's CPU seconds per second by role with nothing under load: after the runs, warmed up as they were. */
async function idleCpuPerSecond(variants: readonly Variant[]): Promise<Partial<Record<VariantName, Record<Role, number>>>> {
  const before = variants.map(cpuByRole);
  await sleep(BACKGROUND_SECONDS * 1000);
  const after = variants.map(cpuByRole);
  const perSecond = (cpu: Record<Role, number>) => Object.fromEntries(Object.entries(cpu).map(([role, seconds]) => [role, seconds / BACKGROUND_SECONDS])) as Record<Role, number>;
  return Object.fromEntries(variants.map((variant, i) => [variant.name, perSecond(cpuSecondsByRole(before[i], after[i]))]));
}

/** At most this long, before each measured run. */
const RUN_WARM_UP_SECONDS = 2;

async function runScenario(scenario: Scenario, options: BenchOptions, context: MeasurementContext, stopping: AbortSignal): Promise<RunResult[]> {
  progress(`\n${scenario.name}: ${scenario.description}`);
  for (const name of scenario.variants) {
    stopping.throwIfAborted();
    await warmUp(scenario, VARIANTS[name], { ...context.load, durationSeconds: options.warmUpSeconds }, context.signedIn);
  }
  const runs: RunResult[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    // A B C, then C B A: a drift in the machine's speed does not favour whichever runs first.
    const order = round % 2 === 1 ? scenario.variants : [...scenario.variants].reverse();
    for (const name of order) {
      stopping.throwIfAborted();
      // Again before each run: idle for the others' runs, the servers' pools have closed connections (pg
      // drops them after 10 s idle), and reconnecting (SCRAM auth) would land in this run's tail.
      await warmUp(scenario, VARIANTS[name], { ...context.load, durationSeconds: Math.min(options.warmUpSeconds, RUN_WARM_UP_SECONDS) }, context.signedIn);
      const result = await measure(scenario, VARIANTS[name], round, context);
      runs.push(result);
      progress(
        `  round ${round}  ${name.padEnd(13)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  ` +
          `p99 ${result.latencyMs.p99.toFixed(1).padStart(6)} ms  errors ${result.errors}`,
      );
    }
  }
  return runs;
}

function gitDescription(): string {
  try {
    return execSync('git describe --always --dirty', { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'missing-packages') return console.log(missingBenchPackages().join(' '));
  const all = scenarios();
  const options = parseOptions(argv, all.map((s) => s.name));
  const selected = all.filter((s) => options.scenarios.length === 0 || options.scenarios.includes(s.name));
  assertPrerequisites();
  if (process.getuid?.() !== 0) throw new Error('the native stack needs root (network namespaces)');

  const startedAt = new Date();
  const machine = { cpus: cpus().length, loadAverageAtStart: loadavg(), node: process.version, commit: gitDescription() };
  let startedStack = false;
  let statements: StatementCounter | undefined;
  // Ctrl-C stops wrk too (same process group); the bench then stops after that run and cleans up.
  const stopping = new AbortController();
  const interrupt = () => stopping.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt).once('SIGTERM', interrupt);

  try {
    startedStack = await prepareStack(options.build, progress);
    statements = await StatementCounter.open(DB_NODES, progress);
    const users = await signInBenchUsers();
    progress(`· ${ARTICLES} Conduit articles by ${users.length} bench users, signed in through nginx`);
    const inserted = await seedArticles(ARTICLES, DB_NODES, users);
    if (inserted) progress(`  inserted ${inserted}`);
    await fillCeilingCache(HOT_ARTICLES);
    progress(`· beside app-1 and app-2, behind nginx: ${BENCH_SERVERS.map((s) => `${s.name} (:${s.lbPort})`).join(', ')}`);
    progress(`· app-1 and app-2 behind nginx without its edge cache: app (:${APP_BEHIND_NGINX.lbPort}); with it: app-edge (:80)`);
    await startBenchServers();
    await installBenchServers([APP_BEHIND_NGINX, ...BENCH_SERVERS]);
    await waitForEligibleReplicas();
    const context: MeasurementContext = {
      load: { connections: options.connections, threads: options.threads, durationSeconds: options.durationSeconds },
      signedIn: users.map((user) => user.accessToken),
      statements,
      backgroundStatementsPerSecond: await backgroundStatementsPerSecond(statements),
    };

    const measured: RunResult[] = [];
    for (const scenario of selected) measured.push(...(await runScenario(scenario, options, context, stopping.signal)));
    progress(`· idle CPU, ${BACKGROUND_SECONDS} s`);
    const idleCpu = await idleCpuPerSecond([...new Set(selected.flatMap((s) => s.variants))].map((name) => VARIANTS[name]));
    const runs = measured.map((run) => withoutBackground(run, idleCpu[run.variant]));
    const summaries: ScenarioSummary[] = selected.map((scenario) => summarize(scenario, runs));
    const goals: GoalResult[] = selected.flatMap((scenario, i) => evaluateGoals(scenario, summaries[i]));

    const conditions =
      `${machine.cpus}-core machine, load average ${machine.loadAverageAtStart[0].toFixed(2)} at the start; ` +
      `medians of ${options.rounds} rounds of paired runs, ${options.durationSeconds} s each, ` +
      `${options.connections} connections, ${options.threads} wrk threads`;
    const versusPeer = `The app against TypeORM's own replication (app-typeorm): medians, ratios of paired runs\n${versusTable(summaries, 'app-typeorm')}`;
    const edge = edgeTable(summaries);
    const edgeGain = edge.split('\n').length > 2 ? `\n\nnginx's edge cache: the same anonymous reads with it (app-edge) and each reaching an app (app)\n${edge}` : '';
    const background = `Idle background, left out of CPU ms/req: CPU ms per second with nothing under load (${BACKGROUND_SECONDS} s after the scenarios)\n${backgroundTable(idleCpu)}`;
    console.log(`\n${conditions}\n\n${resultsTable(summaries)}\n\n${background}\n\n${versusPeer}${edgeGain}\n\n${goalsTable(goals)}`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    const finishedAt = new Date();
    writeFileSync(file, JSON.stringify({ startedAt, finishedAt, conditions, machine: { ...machine, loadAverageAtEnd: loadavg() }, options, background: { statementsPerSecond: context.backgroundStatementsPerSecond, idleCpuSecondsPerSecond: idleCpu }, summaries, goals, runs }, null, 2) + '\n');
    progress(`\n${file} (${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s)`);
  } finally {
    await statements?.close();
    removeBenchServers();
    await stopBenchServers();
    if (startedStack) await down({ progress: () => undefined });
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
