import { parseOptions } from './options';

const known = ['cached-get', 'writes'] as const;

describe('parseOptions', () => {
  it('should default to the full run: 5 rounds of 8 s, 32 connections, a fresh build', () => {
    expect(parseOptions([], known)).toEqual({
      rounds: 5,
      durationSeconds: 8,
      warmUpSeconds: 3,
      connections: 32,
      threads: 2,
      scenarios: [],
      build: true,
    });
  });

  it('should make --quick shorter, and let other flags override it wherever they stand', () => {
    expect(parseOptions(['--rounds', '3', '--quick'], known)).toMatchObject({ rounds: 3, durationSeconds: 3, warmUpSeconds: 1 });
  });

  it('should take a list of scenarios and refuse unknown ones', () => {
    expect(parseOptions(['--scenario', 'writes,cached-get'], known).scenarios).toEqual(['writes', 'cached-get']);
    expect(() => parseOptions(['--scenario', 'writes,reads'], known)).toThrow(/cached-get, writes/);
  });

  it('should never use more wrk threads than connections', () => {
    expect(parseOptions(['--connections', '1'], known).threads).toBe(1);
  });

  it('should refuse numbers that are not positive whole numbers, and unknown flags', () => {
    expect(() => parseOptions(['--duration', '0'], known)).toThrow(/--duration/);
    expect(() => parseOptions(['--rounds'], known)).toThrow(/--rounds/);
    expect(() => parseOptions(['--fast'], known)).toThrow(/unknown option --fast/);
  });
});
