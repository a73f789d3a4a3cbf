import { pipelinedInScrape } from './pipelined-queries';

describe('pipelinedInScrape', () => {
  it('should sum the pipelined position queries over nodes, and nothing else', () => {
    const scrape = [
      '# HELP app_db_position_queries_total WAL position queries',
      '# TYPE app_db_position_queries_total counter',
      'app_db_position_queries_total{node="db-replica-1",how="pipelined"} 1200',
      'app_db_position_queries_total{node="db-replica-1",how="own_round_trip"} 7',
      'app_db_position_queries_total{how="pipelined",node="db-primary"} 300',
      'app_db_pool_connections{node="db-primary"} 4',
    ].join('\n');

    expect(pipelinedInScrape(scrape)).toBe(1500);
  });

  it('should count none in a scrape without the metric', () => {
    expect(pipelinedInScrape('app_http_requests_total{route="/"} 3\n')).toBe(0);
  });
});
