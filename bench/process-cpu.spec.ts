import { cpuTicksOf } from './process-cpu';

// /proc/<pid>/stat of a PostgreSQL postmaster: utime 1, stime 7, cutime 171, cstime 127 (fields 14 to 17).
const postmaster =
  '3331 (postgres) S 1 3331 3331 0 -1 4194560 5695 90914 2 0 1 7 171 127 20 0 1 0 335024 224428032 7781 18446744073709551615 0 0 0 0 0';

describe('cpuTicksOf', () => {
  it('should add user and system time of the process and of the children it has reaped', () => {
    expect(cpuTicksOf(postmaster)).toBe(1 + 7 + 171 + 127);
  });

  it('should count fields after the command, which may hold spaces and parentheses', () => {
    const stat = postmaster.replace('(postgres)', '(postgres: app app 10.0.0.1(5432) idle)');

    expect(cpuTicksOf(stat)).toBe(306);
  });

  it('should read a process that has reaped nothing', () => {
    const stat = postmaster.replace(' 1 7 171 127 ', ' 40 2 0 0 ');

    expect(cpuTicksOf(stat)).toBe(42);
  });
});
