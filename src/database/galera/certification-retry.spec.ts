import { CertificationRetryCounters, retryOnCertificationConflict } from './certification-retry';

const conflict = () => Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { errno: 1213, sqlState: '40001' });
const duplicateKey = () => Object.assign(new Error('Duplicate entry'), { errno: 1062, sqlState: '23000' });
const nodeUnavailable = () => Object.assign(new Error('WSREP has not yet prepared node for application use'), { errno: 1047, sqlState: '08S01' });

/** A transaction that fails with `failures` in order, then commits with 'committed'. */
function transaction(...failures: (() => Error)[]) {
  const work = jest.fn(async (attempt: number) => {
    const failure = failures[attempt - 1];
    if (failure) throw failure();
    return 'committed';
  });
  return work;
}

describe('retryOnCertificationConflict', () => {
  const noWait = { sleep: jest.fn(async () => undefined), random: () => 0.5 };

  it('should run the whole transaction again after a certification conflict, and return what it committed', async () => {
    const work = transaction(conflict, conflict);

    const result = await retryOnCertificationConflict(work, { attempts: 3, baseDelayMs: 10, ...noWait });

    expect(result).toBe('committed');
    expect(work.mock.calls.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
  });

  it('should give up after `attempts` runs with the last conflict', async () => {
    const last = conflict();
    const work = transaction(conflict, conflict, () => last);

    await expect(retryOnCertificationConflict(work, { attempts: 3, baseDelayMs: 10, ...noWait })).rejects.toBe(last);
    expect(work).toHaveBeenCalledTimes(3);
  });

  it.each([
    ['a duplicate key', duplicateKey],
    ['a node without quorum (1047: another node, not a retry here)', nodeUnavailable],
    ['an error of the code', () => new TypeError('x is undefined')],
  ])('should never retry %s', async (_, failure) => {
    const work = transaction(failure);

    await expect(retryOnCertificationConflict(work, { attempts: 5, baseDelayMs: 10, ...noWait })).rejects.toThrow();
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('should wait a random part of a delay that doubles with each retry, up to maxDelayMs', async () => {
    const sleep = jest.fn(async (_ms: number) => undefined);
    const work = transaction(conflict, conflict, conflict, conflict);

    await retryOnCertificationConflict(work, { attempts: 5, baseDelayMs: 10, maxDelayMs: 30, sleep, random: () => 0.5 });

    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([5, 10, 15, 15]);
  });

  it('should not wait at all when the first run commits', async () => {
    const sleep = jest.fn(async (_ms: number) => undefined);

    await retryOnCertificationConflict(transaction(), { attempts: 3, baseDelayMs: 10, sleep });

    expect(sleep).not.toHaveBeenCalled();
  });

  it('should count retries, transactions that committed after a conflict, and transactions that gave up', async () => {
    let now = 0;
    const counters = new CertificationRetryCounters(() => now);

    await retryOnCertificationConflict(transaction(conflict, conflict), { attempts: 3, baseDelayMs: 10, counters, ...noWait });
    await retryOnCertificationConflict(transaction(), { attempts: 3, baseDelayMs: 10, counters, ...noWait });
    await expect(retryOnCertificationConflict(transaction(conflict, conflict), { attempts: 2, baseDelayMs: 10, counters, ...noWait })).rejects.toThrow();
    now = 2_000;

    expect(counters).toMatchObject({ retries: 3, absorbed: 1, exhausted: 1 });
    expect(counters.retriesPerSecond()).toBe(1.5);
  });

  it('should refuse a bound that is not a positive whole number of runs', async () => {
    await expect(retryOnCertificationConflict(transaction(), { attempts: 0, baseDelayMs: 10 })).rejects.toThrow(RangeError);
  });
});
