import { Registry } from 'prom-client';
import { RequestContext } from '../request-context/request-context';
import { HttpMetrics } from './http-metrics';

const finished = (overrides: Partial<{ method: string; route: string | undefined; statusCode: number; durationSeconds: number }> = {}) => ({
  method: 'GET',
  route: '/api/articles/:slug',
  statusCode: 200,
  durationSeconds: 0.004,
  ...overrides,
});

const valuesOf = async (registry: Registry, name: string) => (await registry.getSingleMetric(name)!.get()).values;

describe('HttpMetrics', () => {
  let registry: Registry;
  let metrics: HttpMetrics;

  beforeEach(() => {
    registry = new Registry();
    metrics = new HttpMetrics(registry);
  });

  it('should count requests by method, route pattern and status code', async () => {
    metrics.observe(finished(), undefined);
    metrics.observe(finished({ statusCode: 404 }), undefined);
    metrics.observe(finished(), undefined);

    const text = await registry.metrics();

    expect(text).toContain('app_http_request_duration_seconds_count{method="GET",route="/api/articles/:slug",status_code="200"} 2\n');
    expect(text).toContain('app_http_request_duration_seconds_count{method="GET",route="/api/articles/:slug",status_code="404"} 1\n');
  });

  it('should put every request that matched no route in one series', async () => {
    metrics.observe(finished({ route: undefined, statusCode: 404 }), undefined);
    metrics.observe(finished({ route: undefined, statusCode: 404 }), undefined);

    const text = await registry.metrics();

    expect(text).toContain('app_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"} 2\n');
  });

  it('should count each read and write by node and routing reason, not each distinct node', async () => {
    const context = new RequestContext('r1');
    context.recordDbNode('db-primary', 'primary:write');
    context.recordDbNode('db-primary', 'primary:after-write');
    context.recordDbNode('db-primary', 'primary:after-write');
    const other = new RequestContext('r2');
    other.recordDbNode('db-replica-1', 'replica:token-wait');

    metrics.observe(finished({ method: 'POST', route: '/api/articles', statusCode: 201 }), context);
    metrics.observe(finished(), other);

    const operations = (await valuesOf(registry, 'app_db_operations_total')).map(({ labels, value }) => ({ ...labels, value }));
    expect(operations).toEqual([
      { node: 'db-primary', route: 'primary:write', value: 1 },
      { node: 'db-primary', route: 'primary:after-write', value: 2 },
      { node: 'db-replica-1', route: 'replica:token-wait', value: 1 },
    ]);
  });
});
