import { comparisonTable, ContenderResults, outageFailures, realWorldFailures } from './comparison-report';
import type { PairsOutcome } from './write-read-pairs';

const pairs = (overrides: Partial<PairsOutcome>): PairsOutcome => ({
  pairs: 300,
  stale: 0,
  staleWriteAnswers: 0,
  failedReads: 0,
  failedWrites: 0,
  readsNamingNode: 0,
  readsFromReplicas: 0,
  tokensIssued: false,
  staleSamples: [],
  ...overrides,
});

const app: ContenderResults = {
  staleReads: pairs({ readsNamingNode: 300, readsFromReplicas: 279, tokensIssued: true }),
  staleReadsDelayed: pairs({ readsNamingNode: 300, tokensIssued: true }),
  realWorldDelayed: { requests: 32, failedRequests: 0, assertions: 331, failedAssertions: 0, failures: [] },
  outage: { phases: { before: { reads: 100, failed: 0 }, down: { reads: 400, failed: 0 }, after: { reads: 200, failed: 0 } }, total: { reads: 700, failed: 0 }, failures: {} },
  outageDirect: { phases: { before: { reads: 50, failed: 0 }, down: { reads: 200, failed: 0 }, after: { reads: 100, failed: 0 } }, total: { reads: 350, failed: 0 }, failures: {} },
  startUp: { routing: 'aware', readyAfterMs: 1400, firstReadAfterMs: 1400, reads: 2, failedReads: 0 },
};
const peer: ContenderResults = {
  staleReads: pairs({ stale: 145 }),
  staleReadsDelayed: pairs({ stale: 299, staleWriteAnswers: 290, failedWrites: 1, pairs: 299 }),
  realWorldDelayed: {
    requests: 32,
    failedRequests: 0,
    assertions: 290,
    failedAssertions: 3,
    failures: [
      { request: 'Login', answer: '422 email or password is invalid', failed: ['Response contains "user" property', 'User has "token" property'] },
      { request: 'Feed', answer: '401 Missing or malformed token', failed: ['Response code is 200 OK'] },
    ],
  },
  outage: {
    phases: { before: { reads: 100, failed: 0 }, down: { reads: 400, failed: 98 }, after: { reads: 200, failed: 2 } },
    total: { reads: 700, failed: 100 },
    failures: { '503 The database is unavailable; try again shortly.': 10, '503 No app server answered.': 90 },
  },
  outageDirect: {
    phases: { before: { reads: 50, failed: 0 }, down: { reads: 200, failed: 101 }, after: { reads: 100, failed: 0 } },
    total: { reads: 350, failed: 101 },
    failures: { '503 The database is unavailable; try again shortly.': 101 },
  },
  startUp: { routing: 'typeorm', readyAfterMs: 1200, firstReadAfterMs: null, reads: 75, failedReads: 75, lastFailure: '503 The database is unavailable; try again shortly.' },
};
const conditions = { delay: '500 ms', replica: 'db-replica-1', startUpSeconds: 20 };

describe('comparisonTable', () => {
  const rows = comparisonTable({ app, 'app-typeorm': peer }, conditions)
    .split('\n')
    .slice(2)
    .map((line) => line.split(/\s{2,}/));

  it('should say which side handed its clients a token', () => {
    expect(rows[0]).toEqual(['consistency token (header and cookie) handed to the client', 'yes', 'no']);
  });

  it('should count stale reads of the pairs whose write was acknowledged, with where the app read them', () => {
    expect(rows[1]).toEqual(['stale reads right after a write, no added lag', '0 of 300 (93 % read on replicas)', '145 of 300']);
    expect(rows[2]).toEqual(['stale reads right after a write, replicas 500 ms behind', '0 of 300 (0 % read on replicas)', "299 of 299 (290 in the write's own answer, failed writes: 1)"]);
  });

  it("should count the RealWorld suite's failed assertions of all it made, with its failed requests", () => {
    expect(rows[3]).toEqual(['failed assertions of the RealWorld suite, replicas 500 ms behind', '0 of 331 (failed requests: 0 of 32)', '3 of 290 (failed requests: 0 of 32)']);
  });

  it('should give the failed reads over the whole loop and while the replica was down, through nginx and direct', () => {
    expect(rows[4]).toEqual(['failed reads, db-replica-1 stopped under GET loops, through nginx', '0 of 700 (0 of 400 while down)', '100 of 700 (98 of 400 while down)']);
    expect(rows[5]).toEqual(['failed reads, db-replica-1 stopped under GET loops, direct to one app server', '0 of 350 (0 of 200 while down)', '101 of 350 (101 of 200 while down)']);
  });

  it('should say when each side became ready and served its first read, or that it did not', () => {
    expect(rows[6]).toEqual(['start-up with db-replica-1 down: /health/ready 200 after', '1.4 s', '1.2 s']);
    expect(rows[7]).toEqual([
      'start-up with db-replica-1 down: first read served after',
      '1.4 s',
      'none within 20 s (75 tried: 503 The database is unavailable; try again shortly.)',
    ]);
  });

  it('should leave a measurement that was not run empty', () => {
    const text = comparisonTable({ app: {}, 'app-typeorm': {} }, conditions);

    expect(text.split('\n')[3]).toMatch(/no added lag\s+—\s+—$/);
  });
});

describe('outageFailures', () => {
  it('should list what the failed reads answered, per side and route, most frequent first, and skip sides without failures', () => {
    expect(outageFailures({ app, 'app-typeorm': peer })).toEqual([
      'app-typeorm, through nginx: 90 × 503 No app server answered.; 10 × 503 The database is unavailable; try again shortly.',
      'app-typeorm, direct: 101 × 503 The database is unavailable; try again shortly.',
    ]);
  });
});

describe('realWorldFailures', () => {
  it('should list each request with failed assertions, with its side and answer, and nothing for a side that passed', () => {
    expect(realWorldFailures({ app, 'app-typeorm': peer })).toEqual([
      'app-typeorm, Login (422 email or password is invalid): 2 failed: Response contains "user" property; User has "token" property',
      'app-typeorm, Feed (401 Missing or malformed token): 1 failed: Response code is 200 OK',
    ]);
  });
});
