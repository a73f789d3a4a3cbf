import { StopWaiting, waitFor } from './shell';

describe('waitFor', () => {
  it('should keep asking while the probe fails, and return its first answer', async () => {
    let calls = 0;

    const answer = await waitFor('an answer', async () => (++calls < 3 ? Promise.reject(new Error('not yet')) : 'ready'), { intervalMs: 1 });

    expect({ answer, calls }).toEqual({ answer: 'ready', calls: 3 });
  });

  it('should give up at once when the probe says that waiting cannot help (the server exited)', async () => {
    const started = Date.now();

    await expect(waitFor('db-primary', async () => Promise.reject(new StopWaiting('db-primary exited while starting')), { timeoutMs: 10_000 })).rejects.toThrow(
      'db-primary exited while starting',
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('should name what it waited for, and the last failure, when time runs out', async () => {
    await expect(waitFor('redis', async () => Promise.reject(new Error('ECONNREFUSED')), { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(
      'timed out after 30 ms waiting for redis: ECONNREFUSED',
    );
  });
});
