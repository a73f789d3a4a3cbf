/**
 * The template against its peer, TypeORM's own `replication` option:
 *
 *   npx tsx bench/compare-peer.ts [--pairs N] [--clients N] [--outage-seconds S] [--only stale-reads,realworld,replica-outage,start-up] [--no-build]
 *
 * The same build on the same native stack, twice: app-1 and app-2 as the stack runs them (REPLICA_ROUTING=aware,
 * behind nginx on :80), and app-typeorm beside them (REPLICA_ROUTING=typeorm, behind the same nginx on :8084,
 * as `npm run bench` runs it). Through nginx, as a user: stale reads right after a write (at natural lag, then
 * with every replica 500 ms behind), the RealWorld suite with every replica 500 ms behind (newman, as the e2e
 * test runs it), and failed reads while a replica is stopped under GET loops. Directly against a fresh server:
 * start-up with a replica down. Prints a table and writes bench/results/compare-peer-<time>.json. See
 * docs/coming-from-typeorm.md, "Coming from TypeORM's own replication".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { closeClient, request } from '../stack/native/http-client';
import { waitFor } from '../stack/native/shell';
import { down, missingPackages, Progress, setReplayDelay, start, stop } from '../stack/native/stack';
import { PUBLIC_HOSTNAME, service } from '../stack/topology';
import { runRealWorldSuite } from '../test/realworld/realworld-suite';
import { installBenchServers, removeBenchServers } from './nginx-bench-servers';
import { MEASUREMENTS, parseComparisonOptions } from './peer/comparison-options';
import { comparisonTable, Contender, ContenderResults, outageFailures, outageSummary, realWorldFailures } from './peer/comparison-report';
import { readsThroughOutage } from './peer/replica-outage';
import { Routing, startUpWithReplicaDown } from './peer/start-up';
import { TokenKeepingClient } from './peer/token-keeping-client';
import { signUp, writeThenRead } from './peer/write-read-pairs';
import { prepareStack, waitForEligibleReplicas } from './prepared-stack';
import { APP_BEHIND_NGINX, BENCH_SERVERS, startBenchServers, stopBenchServers, VARIANTS } from './variants';

const RESULTS_DIR = join(__dirname, 'results');
/** The lag the delayed condition adds to every replica (recovery_min_apply_delay). */
const REPLAY_DELAY_MS = 500;
/** The replica stopped for the outage and for start-up. */
const REPLICA = 'db-replica-1';
/**
 * GET loops through nginx (what users see: nginx retries a 502/503/504 on the other app server, and takes a
 * server out after two failures), and beside them directly against app-1's server of each side.
 */
const OUTAGE_LOOPS = 4;
const DIRECT_LOOPS = 2;
/** Each loop's pace: 20 reads/s at most. */
const OUTAGE_INTERVAL_MS = 50;

const progress: Progress = (line) => console.log(line);
const lbUrl = (contender: Contender) => `http://${service('lb').address}:${VARIANTS[contender].lbPort}`;
/** Where the RealWorld suite finds each side: through the stack's DNS (the public hostname) and nginx, as users do. */
const apiUrl = (contender: Contender) => `http://${PUBLIC_HOSTNAME}:${VARIANTS[contender].lbPort}/api`;
const directUrl = (contender: Contender) => {
  const port = contender === 'app' ? service('app-1').port : BENCH_SERVERS.find((s) => s.name === contender)?.port;
  return `http://${service('app-1').address}:${port}`;
};
const ROUTING: Record<Contender, Routing> = { app: 'aware', 'app-typeorm': 'typeorm' };
const CONTENDERS: Contender[] = ['app', 'app-typeorm'];

/**
 * The reads of the outage's GET loops and of the start-up probes: one author's page of Conduit's article list. Lists
 * are never cached, so each reaches a database node, and one author's page is cheap however many articles the
 * stack holds (the bench's 200 000 make the whole list's count costly).
 */
let authorsPage: (n: number) => string;

/** An author with one article, written through the app: whose page the reads ask for. */
async function pageToRead(): Promise<(n: number) => string> {
  const username = `peer_author_${Date.now().toString(36)}`;
  const author = await TokenKeepingClient.registered(lbUrl('app'), username);
  const published = await author.send('POST', '/api/articles', { article: { title: 'A page to read', description: 'Read through outages.', body: 'One article.' } });
  if (published.status !== 201) throw new Error(`publishing ${username}'s article answered ${published.status}: ${published.body}`);
  return (n) => `/api/articles?author=${username}&limit=${1 + (n % 20)}`;
}

/** Serves a read from the database through nginx: the peer's data source connects after its /health/ready first answers. */
async function servesReads(contender: Contender): Promise<void> {
  let n = 0;
  await waitFor(
    `${contender} to serve a read through nginx`,
    async () => (await request('GET', authorsPage(n++), { baseUrl: lbUrl(contender), headers: { host: PUBLIC_HOSTNAME } })).status === 200,
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}

/** Both sides whole again: every replica eligible on app-1 and app-2, the peer serving reads. */
async function whole(): Promise<void> {
  await waitForEligibleReplicas();
  await Promise.all(CONTENDERS.map(servesReads));
}

async function main(argv: string[]): Promise<void> {
  const options = parseComparisonOptions(argv);
  const missing = missingPackages();
  if (missing.length) throw new Error(`missing Debian packages: ${missing.join(' ')}`);
  if (process.getuid?.() !== 0) throw new Error('the native stack needs root (network namespaces)');
  const stopping = new AbortController();
  const interrupt = () => stopping.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
  const peerServers = BENCH_SERVERS.filter((s) => s.name === 'app-typeorm');
  const startedAt = new Date();
  const loadAverageAtStart = loadavg()[0];
  let startedStack = false;
  const results: Record<Contender, ContenderResults> = { app: {}, 'app-typeorm': {} };
  const measured = (name: (typeof MEASUREMENTS)[number]) => options.measurements.includes(name) && !stopping.signal.aborted;

  try {
    startedStack = await prepareStack(options.build, progress);
    progress(`· beside app-1 and app-2, behind nginx: app-typeorm (:${VARIANTS['app-typeorm'].lbPort})`);
    await startBenchServers(peerServers);
    await installBenchServers([APP_BEHIND_NGINX, ...peerServers]);
    await waitForEligibleReplicas();
    authorsPage = await pageToRead();
    await whole();

    if (measured('stale-reads')) {
      const users = { app: await signUp(lbUrl('app'), options.clients), 'app-typeorm': await signUp(lbUrl('app-typeorm'), options.clients) };
      await setReplayDelay('0'); // returns once every replica has replayed the primary's position: the users too
      for (const [condition, key] of [['no added lag', 'staleReads'], [`replicas ${REPLAY_DELAY_MS} ms behind`, 'staleReadsDelayed']] as const) {
        try {
          if (key === 'staleReadsDelayed') await setReplayDelay(`${REPLAY_DELAY_MS}ms`);
          for (const contender of CONTENDERS) {
            const outcome = await writeThenRead(users[contender], options.pairs, stopping.signal);
            results[contender][key] = outcome;
            progress(`  stale reads, ${condition}, ${contender}: ${outcome.stale} of ${outcome.pairs}${outcome.staleSamples.length ? `, e.g. ${outcome.staleSamples[0]}` : ''}`);
          }
        } finally {
          if (key === 'staleReadsDelayed') await setReplayDelay('0');
        }
      }
    }

    if (measured('realworld')) {
      // The collection registers, logs in, writes and reads back at once, with no delay between requests: with
      // every replica behind, each read-after-write it makes is one a replica cannot answer yet.
      await setReplayDelay(`${REPLAY_DELAY_MS}ms`);
      try {
        for (const contender of CONTENDERS) {
          if (stopping.signal.aborted) break;
          const outcome = await runRealWorldSuite(apiUrl(contender));
          results[contender].realWorldDelayed = outcome;
          progress(`  RealWorld suite, replicas ${REPLAY_DELAY_MS} ms behind, ${contender}: ${outcome.failedAssertions} of ${outcome.assertions} assertions failed, ${outcome.failedRequests} of ${outcome.requests} requests`);
        }
      } finally {
        await setReplayDelay('0');
      }
    }

    if (measured('replica-outage')) {
      for (const contender of CONTENDERS) {
        if (stopping.signal.aborted) break;
        const readers = {
          nginx: { baseUrl: lbUrl(contender), loops: OUTAGE_LOOPS },
          direct: { baseUrl: directUrl(contender), loops: DIRECT_LOOPS },
        };
        const plan = { replica: REPLICA, readPath: authorsPage, readers, intervalMs: OUTAGE_INTERVAL_MS, beforeMs: 2000, downMs: options.outageSeconds * 1000, afterMs: 3000 };
        const counts = await readsThroughOutage(plan, stopping.signal);
        results[contender].outage = outageSummary(counts.nginx);
        results[contender].outageDirect = outageSummary(counts.direct);
        for (const [route, { total }] of Object.entries(counts)) progress(`  ${REPLICA} stopped under GET loops, ${contender}, ${route}: ${total.failed} of ${total.reads} failed`);
        await whole();
      }
    }

    if (measured('start-up')) {
      await stop(REPLICA);
      try {
        for (const contender of CONTENDERS) {
          if (stopping.signal.aborted) break;
          const outcome = await startUpWithReplicaDown(ROUTING[contender], options.startUpSeconds * 1000, authorsPage, stopping.signal);
          results[contender].startUp = outcome;
          progress(`  start-up with ${REPLICA} down, ${contender}: ${JSON.stringify(outcome)}`);
        }
      } finally {
        await start(REPLICA, () => undefined);
      }
      await whole();
    }

    const conditions = { delay: `${REPLAY_DELAY_MS} ms`, replica: REPLICA, startUpSeconds: options.startUpSeconds };
    const header = [
      `${cpus().length}-core machine, load average ${loadAverageAtStart.toFixed(2)} at the start`,
      options.measurements.includes('stale-reads') ? `${options.pairs} write→read pairs per side and condition by ${options.clients} clients` : '',
      options.measurements.includes('realworld') ? 'the RealWorld suite by newman through DNS and nginx, no delay between requests, once per side' : '',
      options.measurements.includes('replica-outage')
        ? `${REPLICA} stopped for ${options.outageSeconds} s under ${OUTAGE_LOOPS} GET loops through nginx and ${DIRECT_LOOPS} direct, each at most ${1000 / OUTAGE_INTERVAL_MS} reads/s`
        : '',
    ]
      .filter(Boolean)
      .join('; ');
    const failures = outageFailures(results);
    const realWorld = realWorldFailures(results);
    console.log(
      [
        `\n${header}\n\n${comparisonTable(results, conditions)}`,
        failures.length ? `Failed reads answered:\n  ${failures.join('\n  ')}` : '',
        realWorld.length ? `RealWorld requests with failed assertions (side, request (its answer): the failed assertions):\n  ${realWorld.join('\n  ')}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `compare-peer-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ startedAt, finishedAt: new Date(), header, options, conditions, results }, null, 2) + '\n');
    progress(`\n${file} (${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s)`);
  } finally {
    closeClient();
    removeBenchServers();
    await stopBenchServers(peerServers);
    if (startedStack) await down({ progress: () => undefined });
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`compare-peer: ${error.message}`);
  process.exit(1);
});
