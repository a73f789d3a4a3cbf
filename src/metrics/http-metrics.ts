import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import type { RequestContext } from '../request-context/request-context';

/** One finished HTTP request, as the onResponse hook sees it. */
export interface FinishedRequest {
  method: string;
  /** The route pattern (`/api/articles/:slug`), never the raw URL: one series per route, not per article. */
  route: string | undefined;
  statusCode: number;
  durationSeconds: number;
}

/** Requests by route and status, and every read and write they routed, by node and routing reason. */
@Injectable()
export class HttpMetrics {
  private readonly requestDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly dbOperations: Counter<'node' | 'route'>;

  constructor(registry: Registry) {
    this.requestDuration = new Histogram({
      name: 'app_http_request_duration_seconds',
      help: 'HTTP requests served by this app server, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      // Most requests here take a few milliseconds: finer buckets below 10 ms than prom-client's defaults.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.dbOperations = new Counter({
      name: 'app_db_operations_total',
      help: 'Database connections (one per TypeORM query runner: a read, a write, a transaction) by the node that ran them and why (X-DB-Route)',
      labelNames: ['node', 'route'],
      registers: [registry],
    });
  }

  observe(request: FinishedRequest, context: RequestContext | undefined): void {
    this.requestDuration.observe(
      // Unmatched URLs (404s) share one series: a scanner must not create one per path it tries.
      { method: request.method, route: request.route ?? 'unmatched', status_code: String(request.statusCode) },
      request.durationSeconds,
    );
    for (const { node, route } of context?.dbOperations ?? []) this.dbOperations.inc({ node, route });
  }
}
