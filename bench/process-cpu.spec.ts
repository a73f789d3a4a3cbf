import { cpuReadingOf, CpuSnapshot, cpuTicksBetween } from './process-cpu';

// /proc/<pid>/stat of a PostgreSQL postmaster: parent 1, utime 1, stime 7, cutime 171, cstime 127 (fields 14 to 17).
const postmaster =
  '3331 (postgres) S 1 3331 3331 0 -1 4194560 5695 90914 2 0 1 7 171 127 20 0 1 0 335024 224428032 7781 18446744073709551615 0 0 0 0 0';

const snapshot = (readings: Record<number, [parent: number, own: number, reaped: number]>): CpuSnapshot =>
  new Map(Object.entries(readings).map(([pid, [parent, own, reaped]]) => [Number(pid), { parent, own, reaped }]));

describe('cpuReadingOf', () => {
  it('should read the parent, the process own time and the time of the children it has reaped', () => {
    expect(cpuReadingOf(postmaster)).toEqual({ parent: 1, own: 1 + 7, reaped: 171 + 127 });
  });

  it('should count fields after the command, which may hold spaces and parentheses', () => {
    const stat = postmaster.replace('(postgres)', '(postgres: app app 10.0.0.1(5432) idle)');

    expect(cpuReadingOf(stat)).toEqual({ parent: 1, own: 8, reaped: 298 });
  });
});

describe('cpuTicksBetween', () => {
  it('should count what processes alive at both snapshots used in between', () => {
    const start = snapshot({ 10: [1, 100, 0], 11: [10, 50, 0] });
    const end = snapshot({ 10: [1, 104, 0], 11: [10, 80, 0] });

    expect(cpuTicksBetween(start, end)).toBe(4 + 30);
  });

  it('should count only the part after the start of a child that exited in between, not its whole life', () => {
    // A backend that had used 500 ticks, then 20 more, then exited: its parent reaped all 520.
    const start = snapshot({ 10: [1, 100, 0], 11: [10, 500, 0] });
    const end = snapshot({ 10: [1, 100, 520] });

    expect(cpuTicksBetween(start, end)).toBe(20);
  });

  it('should count the whole life of a child born and reaped in between', () => {
    const start = snapshot({ 10: [1, 100, 0] });
    const end = snapshot({ 10: [1, 101, 35] });

    expect(cpuTicksBetween(start, end)).toBe(36);
  });

  it('should count a process started in between from zero', () => {
    expect(cpuTicksBetween(snapshot({}), snapshot({ 12: [1, 7, 0] }))).toBe(7);
  });

  it('should take nothing off for a process that left whose parent is not in the set', () => {
    const start = snapshot({ 10: [1, 100, 0], 20: [999, 40, 0] });
    const end = snapshot({ 10: [1, 103, 0] });

    expect(cpuTicksBetween(start, end)).toBe(3);
  });
});
