import { runRealWorldSuite } from '../realworld/realworld-suite';
import { delayReplicas, undelayReplicas } from './support/replica-delay';

describe('The RealWorld API suite (newman, Conduit.postman_collection.json)', () => {
  it('should pass every assertion with no delay between requests', async () => {
    const outcome = await runRealWorldSuite();

    expect(outcome.failures).toEqual([]);
    expect(outcome).toMatchObject({ requests: 32, failedRequests: 0, failedAssertions: 0 });
    expect(outcome.assertions).toBeGreaterThan(300);
  });

  it('should pass every assertion with both replicas 500 ms behind (read-your-writes through the cookie)', async () => {
    await delayReplicas('500ms');
    try {
      const outcome = await runRealWorldSuite();

      expect(outcome.failures).toEqual([]);
      expect(outcome).toMatchObject({ requests: 32, failedRequests: 0, failedAssertions: 0 });
    } finally {
      await undelayReplicas();
    }
  });
});
