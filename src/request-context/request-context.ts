import { AsyncLocalStorage } from 'node:async_hooks';

/** What one HTTP request has done so far, visible to every layer without passing it around. */
export class RequestContext {
  /** Nodes that served this request's queries, in order of first use (the `X-DB-Node` header). */
  readonly dbNodes: string[] = [];
  /** Set by cached routes (the `X-Cache` header). */
  cacheStatus?: 'HIT' | 'MISS';
  /** The replica this request reads from once it has read: its reads never go backwards. */
  stickyReplica?: string;
  wrote = false;

  constructor(readonly requestId: string) {}

  private static readonly storage = new AsyncLocalStorage<RequestContext>();

  static run<T>(context: RequestContext, fn: () => T): T {
    return RequestContext.storage.run(context, fn);
  }

  /** The current request's context, or undefined outside a request (jobs, monitors). */
  static current(): RequestContext | undefined {
    return RequestContext.storage.getStore();
  }

  recordDbNode(name: string): void {
    if (!this.dbNodes.includes(name)) this.dbNodes.push(name);
  }
}
