import { DataSource, Repository } from 'typeorm';
import { MariaDbNode, sql, startMariaDbNodes, stopMariaDbNode, waitForCatchUp, waitForReplication } from '../../stack/native/mariadb';
import { Note } from './note.entity';

/**
 * What a NestJS service sees of a replicated MariaDB through a TypeORM DataSource, whatever routes its queries:
 * TypeORM's own `replication` option (typeorm-replication-peer.e2e-spec.ts) or the template's routing, on the same
 * harness (issue 13, docs/mariadb.md, "TypeORM's own replication on MariaDB"). Each scenario uses only the
 * DataSource's repository of Note (which must be among its entities, its table created: CREATE_NOTES_TABLE), as a
 * service would, and the harness's nodes to tell where the reads went and to restart a replica. The figures are
 * the side-by-side's.
 */
export interface ReplicatedNodes {
  primary: MariaDbNode;
  replicas: readonly MariaDbNode[];
}

/**
 * How a unit of work runs as one request of an app: for the template, in a request context of its own (its
 * session, where read-your-writes lives); for TypeORM's own replication, which has no such notion, as it is.
 */
export type RequestScope = <T>(work: () => Promise<T>) => Promise<T>;
const asItIs: RequestScope = (work) => work();

/** Failures by error code (`POOL_NOEXIST`, `POOL_NONEONLINE`, `ECONNREFUSED`, `PROTOCOL_CONNECTION_LOST`…), or by message when there is none. */
export type ErrorCodes = Record<string, number>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** mysql2's code, also under TypeORM's QueryFailedError (which copies its driver error's fields). */
function errorCodeOf(error: unknown): string {
  const { code, driverError, message } = error as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  return String(driverError?.code ?? code ?? message ?? error);
}

function count(codes: ErrorCodes, error: unknown): void {
  const code = errorCodeOf(error);
  codes[code] = (codes[code] ?? 0) + 1;
}

/**
 * SELECT statements the node has run since it started (Com_select). The replication threads apply row events and
 * never count here, and SHOW STATUS counts as Com_show_status: what moves it is a client's SELECT.
 */
async function selectsRun(node: MariaDbNode): Promise<number> {
  const [[, value] = []] = await sql(node, "SHOW GLOBAL STATUS LIKE 'Com_select'");
  return Number(value);
}

async function selectsByNode(nodes: readonly MariaDbNode[]): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(nodes.map(async (node) => [node.name, await selectsRun(node)] as const)));
}

export interface SaveThenFindFigures {
  pairs: number;
  /** Finds that returned the value from before the save, or no row at all. */
  stale: number;
  /** Of them, after saving a new value of an existing row, and after saving a new row. */
  staleUpdates: number;
  staleInserts: number;
  /** Pairs whose save or find threw. */
  failed: number;
  errorCodes: ErrorCodes;
  /**
   * SELECTs each node ran while the pairs ran, by node name: where the finds went. The primary's count also holds
   * the SELECT with which TypeORM's save loads an existing row before updating it.
   */
  selectsByNode: Record<string, number>;
  elapsedMs: number;
}

/**
 * `pairs` times, a repository.save immediately followed by a repository.findOneBy of what it saved, as a NestJS
 * service writes then returns the entity: even pairs save a new value of one row, odd pairs a new row. A find
 * that returns the old value or nothing is stale.
 */
export async function saveThenFind(
  dataSource: DataSource,
  nodes: ReplicatedNodes,
  { pairs, asRequest = asItIs }: { pairs: number; asRequest?: RequestScope },
): Promise<SaveThenFindFigures> {
  const notes = dataSource.getRepository(Note);
  const updated = await notes.save(notes.create({ body: 'v0' }));
  const figures = { pairs, stale: 0, staleUpdates: 0, staleInserts: 0, failed: 0, errorCodes: {} as ErrorCodes };
  const allNodes = [nodes.primary, ...nodes.replicas];
  const selectsBefore = await selectsByNode(allNodes);
  const started = Date.now();

  for (let pair = 0; pair < pairs; pair++) {
    const body = `pair ${pair} ${started}`;
    const isUpdate = pair % 2 === 0;
    try {
      // One request: the service saves, then returns what it finds.
      const found = await asRequest(async () => {
        const saved = isUpdate ? await notes.save(Object.assign(updated, { body })) : await notes.save(notes.create({ body }));
        return notes.findOneBy({ id: saved.id });
      });
      if (found?.body !== body) {
        figures.stale++;
        if (isUpdate) figures.staleUpdates++;
        else figures.staleInserts++;
      }
    } catch (error) {
      figures.failed++;
      count(figures.errorCodes, error);
    }
  }

  const elapsedMs = Date.now() - started;
  const selectsAfter = await selectsByNode(allNodes);
  const selects = Object.fromEntries(allNodes.map((node) => [node.name, selectsAfter[node.name] - selectsBefore[node.name]]));
  return { ...figures, selectsByNode: selects, elapsedMs };
}

/**
 * A read's phase is the one in which it was sent, but a read sent before the SIGTERM and answered after it counts
 * in `stopping`. `stopping` runs from the SIGTERM to mariadbd's exit, `stopped`
 * from then to the start command: only a read sent while `stopped` is sure to find no server. `starting` runs until
 * the replica answers, replicates and has caught up; `after` is the plan's recoveryMs from then.
 */
export type RestartPhase = 'before' | 'stopping' | 'stopped' | 'starting' | 'after';
export const RESTART_PHASES: readonly RestartPhase[] = ['before', 'stopping', 'stopped', 'starting', 'after'];

export interface ReplicaRestartPlan {
  /** One read per interval at most: reads that fail at once do not multiply, so the counts compare across routings. */
  intervalMs: number;
  beforeMs: number;
  /** How long the replica stays stopped once its mariadbd has exited. */
  downMs: number;
  /**
   * How long reads are watched once the replica is back and has caught up: the bounded time in which the
   * DataSource must recover by itself, without being recreated.
   */
  recoveryMs: number;
}

export interface PhaseReads {
  reads: number;
  failed: number;
  errorCodes: ErrorCodes;
}

export interface ReplicaRestartFigures {
  replica: string;
  phases: Record<RestartPhase, PhaseReads>;
  /** From the stop to the replica replicating again and caught up. */
  outageMs: number;
  /**
   * Once the replica was back, how long until every read succeeded, to the end of the recovery window: 0 when
   * none failed after it came back, null when the last read of the window still failed (no recovery).
   */
  recoveredAfterMs: number | null;
  /** SELECTs the restarted replica ran during the recovery window: 0 means the DataSource never read from it again. */
  restartedReplicaSelects: number;
}

interface Read {
  phase: RestartPhase;
  sentAt: number;
  error?: unknown;
}

/**
 * A paced loop of repository reads (findOneBy of a replicated row) while `replica`'s mariadbd is stopped (SIGTERM,
 * a clean shutdown) and started again, counted by phase. The replica is started again also when something fails,
 * and the scenario returns once it replicates, has caught up and the recovery window is over. The DataSource is
 * the one given, never recreated: what the figures show is whether it recovers by itself.
 */
export async function readsAcrossReplicaRestart(
  dataSource: DataSource,
  nodes: ReplicatedNodes,
  replica: MariaDbNode,
  plan: ReplicaRestartPlan,
  asRequest: RequestScope = asItIs,
): Promise<ReplicaRestartFigures> {
  const notes = dataSource.getRepository(Note);
  const { id } = await notes.save(notes.create({ body: 'read across a restart' }));
  await waitForCatchUp(nodes.replicas, nodes.primary);

  const reads: Read[] = [];
  let phase: RestartPhase = 'before';
  let reading = true;
  const loop = readLoop(notes, id, plan.intervalMs, reads, () => phase, () => reading, asRequest);

  let restart: Restart;
  try {
    await sleep(plan.beforeMs);
    restart = await restartReplica(replica, nodes.primary, plan.downMs, (next) => (phase = next));
    phase = 'after';
    await sleep(plan.recoveryMs);
  } finally {
    reading = false;
    await loop;
  }
  const restartedReplicaSelects = (await selectsRun(replica)) - restart.selectsWhenBack;

  const phases = Object.fromEntries(RESTART_PHASES.map((name) => [name, phaseReads(reads, name)])) as Record<RestartPhase, PhaseReads>;
  const { stoppedAt, backAt } = restart;
  return { replica: replica.name, phases, outageMs: backAt - stoppedAt, recoveredAfterMs: recoveredAfter(reads, backAt), restartedReplicaSelects };
}

interface Restart {
  stoppedAt: number;
  /** Replicating again and caught up with the primary. */
  backAt: number;
  /** Com_select then: the harness's own SELECTs while it waited are not the DataSource's. */
  selectsWhenBack: number;
}

/**
 * Stops the replica's mariadbd, leaves it stopped for `downMs`, starts it again (also after a failure) and waits
 * until it has caught up, entering each phase as it goes.
 */
async function restartReplica(replica: MariaDbNode, primary: MariaDbNode, downMs: number, enter: (phase: RestartPhase) => void): Promise<Restart> {
  const stoppedAt = Date.now();
  enter('stopping');
  try {
    await stopMariaDbNode(replica);
    enter('stopped');
    await sleep(downMs);
  } finally {
    enter('starting');
    // A replica restarts its replication threads by itself (its master.info is in its data directory).
    await startMariaDbNodes([replica]);
    await waitForReplication([replica]);
    await waitForCatchUp([replica], primary);
  }
  return { stoppedAt, backAt: Date.now(), selectsWhenBack: await selectsRun(replica) };
}

async function readLoop(
  notes: Repository<Note>,
  id: number,
  intervalMs: number,
  reads: Read[],
  phase: () => RestartPhase,
  reading: () => boolean,
  asRequest: RequestScope,
): Promise<void> {
  while (reading()) {
    const next = Date.now() + intervalMs;
    const read: Read = { phase: phase(), sentAt: Date.now() };
    try {
      await asRequest(() => notes.findOneBy({ id }));
    } catch (error) {
      read.error = error;
    }
    // Sent before the SIGTERM and still in flight after it: the read overlapped the stop (a connection the
    // shutting-down server closed under it), so it is one of the stop's, not of the replica running normally.
    if (read.phase === 'before' && phase() !== 'before') read.phase = 'stopping';
    reads.push(read);
    await sleep(next - Date.now());
  }
}

function phaseReads(reads: readonly Read[], phase: RestartPhase): PhaseReads {
  const inPhase = reads.filter((read) => read.phase === phase);
  const errorCodes: ErrorCodes = {};
  for (const read of inPhase) if ('error' in read) count(errorCodes, read.error);
  return { reads: inPhase.length, failed: inPhase.filter((read) => 'error' in read).length, errorCodes };
}

function recoveredAfter(reads: readonly Read[], back: number): number | null {
  const after = reads.filter((read) => read.phase === 'after');
  if (after.length === 0 || 'error' in after[after.length - 1]) return null;
  const lastFailure = after.findLastIndex((read) => 'error' in read);
  return lastFailure < 0 ? 0 : after[lastFailure + 1].sentAt - back;
}

/** The side-by-side's plan: the same for every routing measured, so their figures compare. */
export const SIDE_BY_SIDE = {
  pairs: 200,
  restart: { intervalMs: 50, beforeMs: 1_000, downMs: 2_000, recoveryMs: 10_000 } satisfies ReplicaRestartPlan,
};

/** A line of figures for a spec's report. */
export const describePairs = (f: SaveThenFindFigures) =>
  `${f.stale}/${f.pairs} stale (${f.staleUpdates} updates, ${f.staleInserts} inserts), ${f.failed} failed, ${f.elapsedMs} ms; ` +
  `SELECTs by node ${JSON.stringify(f.selectsByNode)}`;

export const describeRestart = (f: ReplicaRestartFigures) =>
  RESTART_PHASES.map((phase) => `${phase} ${f.phases[phase].failed}/${f.phases[phase].reads} failed ${JSON.stringify(f.phases[phase].errorCodes)}`).join('; ') +
  `; outage ${f.outageMs} ms; recovered ${f.recoveredAfterMs === null ? 'never' : `after ${f.recoveredAfterMs} ms`}; ` +
  `the restarted replica then served ${f.restartedReplicaSelects} SELECTs`;
