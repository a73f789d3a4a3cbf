import { startDaemon, stopDaemon } from '../../stack/native/daemons';
import { request } from '../../stack/native/http-client';
import { paths, REPO_ROOT } from '../../stack/native/paths';
import { appEnv } from '../../stack/native/services';
import { service } from '../../stack/topology';
import { problemDetail } from './problem-detail';

export type Routing = 'aware' | 'typeorm';

export interface StartUpOutcome {
  routing: Routing;
  /** Since the process was spawned; null when it did not happen within the time allowed. */
  readyAfterMs: number | null;
  firstReadAfterMs: number | null;
  reads: number;
  failedReads: number;
  /** The last failed read's answer, e.g. `503 The database is unavailable; try again shortly.` */
  lastFailure?: string;
}

/** Beside app-1, on a port no other server of the stack or the bench uses. */
const BESIDE = 'app-1';
const PORT = 3005;
const POLL_MS = 250;

let serial = 0;

const answer = async (path: string) => {
  const response = await request('GET', path, { baseUrl: `http://${service(BESIDE).address}:${PORT}` }).catch(() => undefined);
  if (!response) return { ok: false, text: 'no answer' };
  const detail = response.status >= 300 ? problemDetail(response.body) : '';
  return { ok: response.status >= 200 && response.status < 300, text: `${response.status} ${detail}`.trim() };
};

/**
 * Starts a fresh app server with `routing` (the stack's settings otherwise) while the caller holds a replica
 * down, and polls it directly every 250 ms for `timeoutMs`: when does /health/ready first answer 200, and when
 * does a read (`readPath(n)`, a GET no cache answers) first succeed? Directly, not through nginx: nginx would answer from app-1
 * and app-2, which started long ago. The server is stopped afterwards, also on failure.
 */
export async function startUpWithReplicaDown(routing: Routing, timeoutMs: number, readPath: (n: number) => string, stopping: AbortSignal): Promise<StartUpOutcome> {
  const name = `compare-start-up-${routing}`;
  const outcome: StartUpOutcome = { routing, readyAfterMs: null, firstReadAfterMs: null, reads: 0, failedReads: 0 };
  const spawnedAt = Date.now();
  startDaemon(name, [process.execPath, paths.appMain], {
    besideService: BESIDE,
    env: { ...appEnv(`${BESIDE}-start-up-${routing}`), PORT: String(PORT), REPLICA_ROUTING: routing },
    cwd: REPO_ROOT,
  });
  try {
    while (Date.now() - spawnedAt < timeoutMs && !stopping.aborted && (outcome.readyAfterMs === null || outcome.firstReadAfterMs === null)) {
      const sentAt = Date.now() - spawnedAt;
      const [ready, read] = await Promise.all([answer('/health/ready'), answer(readPath(serial++))]);
      if (ready.ok) outcome.readyAfterMs ??= sentAt;
      if (ready.text !== 'no answer' || read.text !== 'no answer') {
        // Requests before the port opens say nothing about reads: only answered (or refused once up) ones count.
        outcome.reads++;
        if (read.ok) outcome.firstReadAfterMs ??= sentAt;
        else {
          outcome.failedReads++;
          outcome.lastFailure = read.text;
        }
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    await stopDaemon(name);
  }
  return outcome;
}
