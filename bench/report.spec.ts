import { backgroundTable, edgeTable, shortNodeName, table, versusTable } from './report';
import type { ScenarioSummary, VariantSummary } from './summary';
import type { VariantName } from './variants';

describe('shortNodeName', () => {
  it('should shorten the node names of X-DB-Node, also when a request used two', () => {
    expect(shortNodeName('db-replica-2')).toBe('r2');
    expect(shortNodeName('db-replica-1, db-primary')).toBe('r1+p');
    expect(shortNodeName('none')).toBe('none');
  });
});

describe('table', () => {
  it('should pad each column to its widest cell, numbers to the right and words to the left', () => {
    const text = table(['variant', 'req/s'], [['app', '950'], ['pg-ceiling', '3716']]);

    expect(text.split('\n')).toEqual(['variant     req/s', '----------  -----', 'app           950', 'pg-ceiling   3716']);
  });
});

describe('versusTable', () => {
  const variant = (name: VariantName, requestsPerSecond: number, cpuMsPerRequest: number, appCpuMsPerRequest: number) =>
    ({ variant: name, requestsPerSecond, cpuMsPerRequest, appCpuMsPerRequest }) as VariantSummary;
  const summary = (scenario: ScenarioSummary['scenario'], variants: VariantSummary[]): ScenarioSummary => ({
    scenario,
    variants,
    comparisons: variants
      .filter((v) => v.variant !== 'app')
      .map((v) => ({ variant: v.variant, throughputRatio: 0.95, cpuPerRequestRatio: 1.1, extraStatementsPerRequest: 0, extraRoundTripsPerRequest: 0 })),
  });

  it("should give each scenario the app's and the other's req/s and CPU per request, and the paired ratios", () => {
    const text = versusTable([summary('uncached-get', [variant('app', 1197, 1.48, 0.74), variant('app-fixed', 1504, 1.2, 0.59), variant('app-typeorm', 1250, 1.35, 0.66)])], 'app-typeorm');

    const [header, , row] = text.split('\n');
    expect(header.split(/\s{2,}/)).toEqual([
      'scenario',
      'app req/s',
      'app-typeorm req/s',
      'req/s app ÷ app-typeorm',
      'app CPU ms/req',
      'app-typeorm CPU ms/req',
      'CPU/req app ÷ app-typeorm',
    ]);
    expect(row.split(/\s{2,}/)).toEqual(['uncached-get', '1197', '1250', '0.95', '1.48 (0.74)', '1.35 (0.66)', '1.10']);
  });

  it('should leave out a scenario the other variant did not run', () => {
    const text = versusTable([summary('writes', [variant('app', 529, 3.43, 1.42), variant('app-fixed', 565, 3.06, 1.29)])], 'app-typeorm');

    expect(text.split('\n')).toHaveLength(2);
  });
});

describe('edgeTable', () => {
  const variant = (name: VariantName, requestsPerSecond: number, edgeHitShare: number) => ({ variant: name, requestsPerSecond, edgeHitShare }) as VariantSummary;

  it("should give the edge's share of hits, each side's req/s, the paired gain and the req/s gained", () => {
    const summary: ScenarioSummary = {
      scenario: 'edge-get',
      variants: [variant('app', 1000, 0), variant('app-edge', 4000, 0.985)],
      comparisons: [{ variant: 'app-edge', throughputRatio: 0.25, cpuPerRequestRatio: 4, extraStatementsPerRequest: 0, extraRoundTripsPerRequest: 0 }],
    };

    const [header, , row] = edgeTable([summary]).split('\n');

    expect(header.split(/\s{2,}/)).toEqual(['scenario', 'edge hits', 'app req/s', 'app-edge req/s', 'req/s app-edge ÷ app', 'req/s gained']);
    expect(row.split(/\s{2,}/)).toEqual(['edge-get', '98.5%', '1000', '4000', '×4.00', '3000']);
  });

  it('should leave out the scenarios that ran without the edge', () => {
    const summary: ScenarioSummary = { scenario: 'cached-get', variants: [variant('app', 1000, 0)], comparisons: [] };

    expect(edgeTable([summary]).split('\n')).toHaveLength(2);
  });
});

describe('backgroundTable', () => {
  it("should give each variant's idle CPU in ms per second, every serving process and its own servers", () => {
    const idle = { app: 0.02, lb: 0.001, postgres: 0.015, redis: 0.0005 };

    expect(backgroundTable({ app: idle, 'app-fixed': { ...idle, app: 0.002 } }).split('\n')).toEqual([
      'variant    idle CPU ms/s (own)',
      '---------  -------------------',
      'app                36.5 (20.0)',
      'app-fixed           18.5 (2.0)',
    ]);
  });
});
