import { formatLsn, lagBytes, parseLsn } from './lsn';

describe('LSN', () => {
  it('should parse both halves of an LSN', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
  });

  it('should round-trip through formatLsn', () => {
    expect(formatLsn(parseLsn('FFFFFFFF/FFFFFFFF'))).toBe('FFFFFFFF/FFFFFFFF');
    expect(formatLsn(parseLsn('0/3000060'))).toBe('0/3000060');
  });

  it('should reject text that is not an LSN', () => {
    expect(() => parseLsn('12345')).toThrow(/not an LSN/);
    expect(() => parseLsn('0/XYZ')).toThrow(/not an LSN/);
  });

  it('should measure lag across the 32-bit boundary and never below zero', () => {
    expect(lagBytes(parseLsn('1/0'), parseLsn('0/FFFFFF00'))).toBe(256);
    expect(lagBytes(parseLsn('0/100'), parseLsn('0/200'))).toBe(0);
  });
});
