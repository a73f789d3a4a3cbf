import { readFileSync } from 'node:fs';
import { run } from '../stack/native/shell';

/**
 * CPU time from /proc/<pid>/stat, in clock ticks: user + system of the process and of the children it has
 * waited for. Counting reaped children keeps a process that exits during a run (a PostgreSQL backend, an nginx
 * worker) in the total through its parent.
 */
export function cpuTicksOf(stat: string): number {
  // The command (field 2) may hold spaces and parentheses: count fields from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
  // fields[0] is field 3 (state); utime, stime, cutime and cstime are fields 14 to 17.
  return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0);
}

let ticksPerSecond: number | undefined;

/** CPU-seconds used so far by these processes; one that has already gone counts as 0. */
export function cpuSecondsOf(pids: readonly number[]): number {
  ticksPerSecond ??= Number(run(['getconf', 'CLK_TCK']));
  let ticks = 0;
  for (const pid of pids) {
    try {
      ticks += cpuTicksOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      // exited since it was listed: its parent has its time once it is reaped
    }
  }
  return ticks / ticksPerSecond;
}
