import { join } from 'node:path';
import { inNamespace } from '../stack/native/daemons';
import { runAsync } from '../stack/native/shell';

const SCRIPTS_DIR = join(__dirname, 'wrk');
const MARKER = 'wrk-report ';

export interface Load {
  connections: number;
  threads: number;
  durationSeconds: number;
}

/** One wrk run, from the JSON line that bench/wrk/report.lua prints. */
export interface WrkReport {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** Responses with a status other than 2xx or 3xx. */
  statusErrors: number;
  /** Connect, read, write errors and timeouts. */
  socketErrors: number;
  /** Each X-DB-Node value and how many responses carried it. */
  servedBy: Record<string, number>;
  /** Each X-Cache value (HIT, MISS) and how many responses carried it. */
  cache: Record<string, number>;
  /** Each X-Edge-Cache value (HIT, MISS, BYPASS) and how many responses carried it: nginx's edge cache. */
  edge: Record<string, number>;
  /** walk.lua: the furthest position of its walk that it requested. */
  furthest?: number;
}

interface RawReport {
  requests: number;
  duration_us: number;
  errors: { connect: number; read: number; write: number; timeout: number; status: number };
  latency_us: { p50: number; p99: number; max: number };
  served_by: Record<string, number>;
  cache: Record<string, number>;
  edge: Record<string, number>;
  furthest?: number;
}

export function parseWrkReport(output: string): WrkReport {
  const line = output.split('\n').find((l) => l.startsWith(MARKER));
  if (!line) throw new Error(`wrk printed no report:\n${output.trim()}`);
  const raw = JSON.parse(line.slice(MARKER.length)) as RawReport;
  const durationSeconds = raw.duration_us / 1e6;
  const { connect, read, write, timeout, status } = raw.errors;
  return {
    requests: raw.requests,
    durationSeconds,
    requestsPerSecond: raw.requests / durationSeconds,
    latencyMs: { p50: raw.latency_us.p50 / 1000, p99: raw.latency_us.p99 / 1000, max: raw.latency_us.max / 1000 },
    statusErrors: status,
    socketErrors: connect + read + write + timeout,
    servedBy: raw.served_by,
    cache: raw.cache,
    edge: raw.edge,
    furthest: raw.furthest,
  };
}

/** Runs a scenario script (bench/wrk/<script>) from the client's namespace, as a user would reach `url`. */
export async function runWrk(url: string, script: string, args: readonly string[], load: Load): Promise<WrkReport> {
  const argv = [
    'wrk',
    '--threads', String(load.threads),
    '--connections', String(load.connections),
    '--duration', `${load.durationSeconds}s`,
    '--timeout', '5s',
    '--script', join(SCRIPTS_DIR, script),
    url,
    '--',
    ...args,
  ];
  const output = await runAsync(inNamespace('client', argv), { ...process.env, LUA_PATH: `${SCRIPTS_DIR}/?.lua;;` });
  return parseWrkReport(output);
}
