import { readFileSync, writeFileSync } from 'node:fs';

/** VmHWM (the peak resident set size) from /proc/<pid>/status, in KiB; null when absent. */
export function peakRssKibOf(status: string): number | null {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match ? Number(match[1]) : null;
}

/** Starts a new peak at the current RSS (Linux: writing 5 to clear_refs), so the next reading covers one run. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** The highest peak RSS among these processes since their last reset, in MiB. */
export function peakRssMibOf(pids: readonly number[]): number | null {
  const peaks = pids.map((pid) => peakRssKibOf(readFileSync(`/proc/${pid}/status`, 'utf8'))).filter((kib) => kib !== null);
  return peaks.length ? Math.max(...peaks) / 1024 : null;
}
