import { request } from '../../stack/native/http-client';
import { start, stop } from '../../stack/native/stack';
import { PUBLIC_HOSTNAME } from '../../stack/topology';
import { problemDetail } from './problem-detail';

export type OutagePhase = 'before' | 'down' | 'after';

export interface PhaseCount {
  reads: number;
  /** Non-2xx answers and socket errors. */
  failed: number;
}

/** Reads counted by the phase in which they were sent. */
export class OutageCounts {
  readonly phases: Record<OutagePhase, PhaseCount> = { before: { reads: 0, failed: 0 }, down: { reads: 0, failed: 0 }, after: { reads: 0, failed: 0 } };
  /** The first failures' answers, e.g. `503 The database is unavailable; try again shortly.` */
  readonly failures = new Map<string, number>();

  record(phase: OutagePhase, status: number | undefined, detail = ''): void {
    const count = this.phases[phase];
    count.reads++;
    if (status !== undefined && status >= 200 && status < 300) return;
    count.failed++;
    const key = status === undefined ? `no answer ${detail}`.trim() : `${status} ${detail}`.trim();
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
  }

  get total(): PhaseCount {
    const all = Object.values(this.phases);
    return { reads: all.reduce((n, p) => n + p.reads, 0), failed: all.reduce((n, p) => n + p.failed, 0) };
  }
}

/** Who reads during the outage: `loops` concurrent GET loops against `baseUrl`. */
export interface OutageReaders {
  baseUrl: string;
  loops: number;
}

export interface OutagePlan<Name extends string> {
  replica: string;
  /** The `n`th read's path: a GET no cache answers, so that each read reaches a database node. */
  readPath(n: number): string;
  /** Each group of readers is counted apart, e.g. through nginx and directly against one app server. */
  readers: Record<Name, OutageReaders>;
  /**
   * Each loop sends at most one read per interval: a failure answered at once (nginx with no server left) does
   * not multiply the reads, so both sides are asked about as often and their counts compare.
   */
  intervalMs: number;
  beforeMs: number;
  /** How long the replica stays stopped once its stop has returned. */
  downMs: number;
  afterMs: number;
}

let serial = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** One paced GET loop of the plan's reads until `reading()` says stop. */
async function readLoop(readers: OutageReaders, plan: Pick<OutagePlan<string>, 'intervalMs' | 'readPath'>, counts: OutageCounts, phase: () => OutagePhase, reading: () => boolean): Promise<void> {
  while (reading()) {
    const next = Date.now() + plan.intervalMs;
    const sentIn = phase();
    const response = await request('GET', plan.readPath(serial++), { baseUrl: readers.baseUrl, headers: { host: PUBLIC_HOSTNAME } }).catch(
      (error: Error) => ({ status: undefined, detail: error.message }),
    );
    const detail = 'detail' in response ? response.detail : response.status >= 300 ? problemDetail(response.body) : '';
    counts.record(sentIn, response.status, detail);
    await sleep(next - Date.now());
  }
}

/**
 * Paced GET loops while `replica` is stopped (the stack's graceful stop) and started again, counted by group of
 * readers and by phase. The replica is started again also when something fails; the loops end when the plan
 * is over, or at once when `stopping` is aborted.
 */
export async function readsThroughOutage<Name extends string>(plan: OutagePlan<Name>, stopping: AbortSignal): Promise<Record<Name, OutageCounts>> {
  const counts = Object.fromEntries(Object.keys(plan.readers).map((name) => [name, new OutageCounts()])) as Record<Name, OutageCounts>;
  let phase: OutagePhase = 'before';
  let running = true;
  const reading = () => running && !stopping.aborted;
  const loops = (Object.entries(plan.readers) as [Name, OutageReaders][]).flatMap(([name, readers]) =>
    Array.from({ length: readers.loops }, () => readLoop(readers, plan, counts[name], () => phase, reading)),
  );
  try {
    await sleep(plan.beforeMs);
    phase = 'down';
    try {
      await stop(plan.replica);
      if (!stopping.aborted) await sleep(plan.downMs);
    } finally {
      await start(plan.replica, () => undefined);
    }
    phase = 'after';
    if (!stopping.aborted) await sleep(plan.afterMs);
  } finally {
    running = false;
    await Promise.all(loops);
  }
  return counts;
}
