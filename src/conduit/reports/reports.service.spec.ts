import { firstDayOfMonthUtc, monthsFrom } from './reports.service';

describe('the monthly report\'s months', () => {
  it('should start on the first day (UTC) of the month as many months back, across a year boundary', () => {
    const now = new Date('2026-02-14T23:30:00-05:00'); // 2026-02-15 04:30 UTC

    expect(firstDayOfMonthUtc(0, now).toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(firstDayOfMonthUtc(2, now).toISOString()).toBe('2025-12-01T00:00:00.000Z');
  });

  it('should list every month from the first, oldest first, each once', () => {
    expect(monthsFrom(new Date('2025-11-01T00:00:00Z'), 4)).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
  });
});
