import { service } from '../../stack/topology';
import { closeClient, get, request } from './support/client';
import { ConduitClient, uncachedListPath } from './support/conduit';
import { until } from './support/stack-control';
import { TestApp } from './support/test-app';

const appUrl = (app: string) => `http://${service(app).address}:3000`;

/** One app server's samples: `name{labels}` → value. */
async function scrape(baseUrl: string): Promise<Map<string, number>> {
  const response = await request('GET', '/metrics', { baseUrl });
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  const samples = response.body.split('\n').filter((line) => line && !line.startsWith('#'));
  return new Map(samples.map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))]));
}

const sum = (samples: Map<string, number>, pattern: RegExp) =>
  [...samples].filter(([series]) => pattern.test(series)).reduce((total, [, value]) => total + value, 0);

describe('GET /metrics on each app server', () => {
  afterAll(() => closeClient());

  it('should count requests by route pattern and reads and writes by node and routing reason', async () => {
    const { slug } = await (await ConduitClient.registered()).publish();
    for (let i = 0; i < 10; i++) await get(uncachedListPath());
    await get(`/api/articles/${slug}`);

    const [app1, app2] = await Promise.all([scrape(appUrl('app-1')), scrape(appUrl('app-2'))]);

    const both = (pattern: RegExp) => sum(app1, pattern) + sum(app2, pattern);
    expect(both(/^app_http_request_duration_seconds_count\{method="GET",route="\/api\/articles\/:slug",status_code="200"\}/)).toBeGreaterThanOrEqual(1);
    expect(both(new RegExp(`^app_http_request_duration_seconds_count\\{.*route="[^"]*${slug}`))).toBe(0); // never the raw URL
    expect(both(/^app_db_operations_total\{node="db-primary",route="primary:write"\}/)).toBeGreaterThanOrEqual(1);
    expect(both(/^app_db_operations_total\{node="db-replica-\d",route="replica"\}/)).toBeGreaterThanOrEqual(10);
  });

  it('should report every replica’s lag and eligibility, every node’s pool, tokens and cache', async () => {
    // Eligibility follows the probes: after another test's fault a replica is readmitted within a few rounds.
    const samples = await until('both replicas eligible in the metrics', async () => {
      const scraped = await scrape(appUrl('app-1'));
      return ['db-replica-1', 'db-replica-2'].every((r) => scraped.get(`app_replica_eligible{replica="${r}"}`) === 1) && scraped;
    }, 30_000);

    for (const replica of ['db-replica-1', 'db-replica-2']) {
      expect(samples.get(`app_replica_lag_bytes{replica="${replica}"}`)).toBeGreaterThanOrEqual(0);
      expect(samples.get(`app_replica_lag_seconds{replica="${replica}"}`)).toBeGreaterThanOrEqual(0);
      expect(samples.get(`app_replica_eligible{replica="${replica}"}`)).toBe(1);
    }
    for (const node of ['db-primary', 'db-replica-1', 'db-replica-2']) {
      expect(samples.get(`app_db_pool_waiting_clients{node="${node}"}`)).toBe(0);
    }
    expect(samples.get('app_consistency_tokens_issued_total')).toBeGreaterThan(0);
    expect(samples.has('app_cache_hits_total')).toBe(true);
    expect(samples.has('process_cpu_user_seconds_total')).toBe(true);
  });

  it('should answer without a database or Redis', async () => {
    const nowhere = '127.0.0.1:1';
    const app = await TestApp.start(
      { DB_PRIMARY_HOST: '127.0.0.1', DB_PORT: '1', DB_REPLICA_HOSTS: nowhere, REDIS_URL: `redis://${nowhere}` },
      { waitReady: false },
    );
    try {
      const samples = await scrape(app.baseUrl);

      expect(samples.get('app_replica_eligible{replica="127.0.0.1"}')).toBe(0);
      expect(samples.has('app_replica_lag_bytes{replica="127.0.0.1"}')).toBe(false);
    } finally {
      await app.stop();
    }
  });
});

describe('GET /nginx-status', () => {
  it('should show nginx’s connection counters to a private address', async () => {
    const response = await request('GET', '/nginx-status', { baseUrl: `http://${service('lb').address}` });

    expect(response.status).toBe(200);
    expect(response.body).toMatch(/^Active connections: \d+/);
  });
});
