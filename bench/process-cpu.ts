import { readFileSync } from 'node:fs';
import { run } from '../stack/native/shell';

/** A process's CPU time in clock ticks, from /proc/<pid>/stat. */
export interface CpuReading {
  parent: number;
  /** user + system time of the process itself. */
  own: number;
  /** user + system time of the children it has reaped (each child's whole life, counted when it is reaped). */
  reaped: number;
}

/** The reading in one /proc/<pid>/stat line. */
export function cpuReadingOf(stat: string): CpuReading {
  // The command (field 2) may hold spaces and parentheses: count fields from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
  // fields[0] is field 3 (state), fields[1] the parent's pid; utime, stime, cutime and cstime are fields 14 to 17.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return { parent: Number(fields[1]), own: utime + stime, reaped: cutime + cstime };
}

/** Readings of these processes now, by pid; one that has already gone is left out. */
export type CpuSnapshot = Map<number, CpuReading>;

export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const pid of pids) {
    try {
      snapshot.set(pid, cpuReadingOf(readFileSync(`/proc/${pid}/stat`, 'utf8')));
    } catch {
      // exited since it was listed: see cpuTicksBetween
    }
  }
  return snapshot;
}

/**
 * The CPU ticks a set of processes used between two snapshots (each taken over the set as it was then).
 *
 * A process that exits in between is counted through its parent, which adds the child's whole life to its
 * reaped time: the part before `start` (its own time then) is taken off, or a PostgreSQL backend that a pool
 * closed during a run would bring every run it ever served into this one.
 */
export function cpuTicksBetween(start: CpuSnapshot, end: CpuSnapshot): number {
  let ticks = 0;
  for (const [pid, now] of end) {
    const before = start.get(pid);
    ticks += now.own - (before?.own ?? 0) + now.reaped - (before?.reaped ?? 0);
  }
  for (const [pid, before] of start) {
    // Gone, and reaped by a parent of the set: its life before `start` is in that parent's reaped time.
    if (!end.has(pid) && end.has(before.parent)) ticks -= before.own + before.reaped;
  }
  return ticks;
}

let ticksPerSecond: number | undefined;

export function cpuSecondsBetween(start: CpuSnapshot, end: CpuSnapshot): number {
  ticksPerSecond ??= Number(run(['getconf', 'CLK_TCK']));
  return cpuTicksBetween(start, end) / ticksPerSecond;
}
