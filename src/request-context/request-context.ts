import { AsyncLocalStorage } from 'node:async_hooks';
import { Session } from '../database/session';

/** What one HTTP request has done so far, visible to every layer without passing it around. */
export class RequestContext {
  /** Nodes that served this request's queries, in order of first use (the `X-DB-Node` header). */
  readonly dbNodes: string[] = [];
  /** Why each query went where it went (the `X-DB-Route` header). */
  readonly routes: string[] = [];
  /** Every read and write in order, with its node and route: what metrics count, where the headers dedupe. */
  readonly dbOperations: { node: string; route: string }[] = [];
  private cacheLookups?: 'HIT' | 'MISS';
  /** The request's database session: where its reads may go, and what it has read and written. */
  readonly session = new Session();

  constructor(readonly requestId: string) {}

  private static readonly storage = new AsyncLocalStorage<RequestContext>();

  static run<T>(context: RequestContext, fn: () => T): T {
    return RequestContext.storage.run(context, fn);
  }

  /** The current request's context, or undefined outside a request (jobs, monitors). */
  static current(): RequestContext | undefined {
    return RequestContext.storage.getStore();
  }

  /**
   * The `X-Cache` header: set by each cache lookup of the request, and `MISS` once any of them missed. A route
   * may look up several entries (a Conduit article, then its author's profile): a hit on the last must not hide
   * a miss that read the database.
   */
  get cacheStatus(): 'HIT' | 'MISS' | undefined {
    return this.cacheLookups;
  }

  set cacheStatus(status: 'HIT' | 'MISS' | undefined) {
    if (this.cacheLookups !== 'MISS') this.cacheLookups = status;
  }

  recordDbNode(name: string, route: string): void {
    this.dbOperations.push({ node: name, route });
    if (!this.dbNodes.includes(name)) this.dbNodes.push(name);
    if (!this.routes.includes(route)) this.routes.push(route);
  }
}
