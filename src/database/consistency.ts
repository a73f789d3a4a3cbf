import { applyDecorators, CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata, UseInterceptors } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { RequestContext } from '../request-context/request-context';
import { ConsistencyRequirement } from './session';

export type { ConsistencyRequirement };

const CONSISTENCY = Symbol('consistency');

/**
 * How fresh a route's (or a controller's) reads must be:
 * - `'read-your-writes'` (the default): a replica that has replayed the client's consistency token, else the primary;
 * - `'strong'`: the primary;
 * - `{ maxStalenessMs }`: any replica at most that far behind, without waiting for the token;
 * - `'analytics'`: a report's reads, on an analytics replica (DB_ANALYTICS_HOSTS) under its long statement
 *   timeout, as fresh as that replica is; else on a replica; never on the primary (docs/analytics.md).
 * Writes and transactions always run on the primary.
 *
 * It applies its own interceptor, as a method's (or a class's) @UseInterceptors does: a route's guards, and any
 * interceptor Nest runs before it (global ones, a class's before a method's), read without the requirement.
 */
export const Consistency = (requirement: 'read-your-writes' | 'strong' | 'analytics' | { maxStalenessMs: number }) =>
  applyDecorators(
    SetMetadata<symbol, ConsistencyRequirement>(
      CONSISTENCY,
      typeof requirement === 'string' ? { kind: requirement } : { kind: 'bounded-staleness', maxStalenessMs: requirement.maxStalenessMs },
    ),
    // Only where a requirement is declared: an interceptor on every route would put each request through Nest's
    // interceptor chain (rxjs, an async scope), about 7 % of a cached GET's CPU, to do nothing.
    UseInterceptors(ConsistencyInterceptor),
  );

/**
 * Runs `work` with the request's reads on the primary: for a read that must see the latest committed data
 * where the route as a whole need not (GitLab's `use_primary`). Outside a request it just runs `work`.
 *
 *   const user = await usePrimary(() => this.users.findOneBy({ email }));
 */
export function usePrimary<T>(work: () => Promise<T>): Promise<T> {
  const session = RequestContext.current()?.session;
  return session ? session.withPrimaryReads(work) : work();
}

/** Puts the route's @Consistency on the request's session, where the load balancer reads it. */
@Injectable()
export class ConsistencyInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const requirement = this.reflector.getAllAndOverride<ConsistencyRequirement>(CONSISTENCY, [execution.getHandler(), execution.getClass()]);
    const context = RequestContext.current();
    if (requirement && context) context.session.applyRouteConsistency(requirement);
    return next.handle();
  }
}
