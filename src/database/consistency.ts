import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { ConsistencyRequirement, RequestContext } from '../request-context/request-context';

const CONSISTENCY = Symbol('consistency');

/**
 * How fresh a route's (or a controller's) reads must be:
 * - `'read-your-writes'` (the default): a replica that has replayed the client's consistency token, else the primary;
 * - `'strong'`: the primary;
 * - `{ maxStalenessMs }`: any replica at most that far behind, without waiting for the token.
 * Writes and transactions always run on the primary.
 */
export const Consistency = (requirement: 'read-your-writes' | 'strong' | { maxStalenessMs: number }) =>
  SetMetadata<symbol, ConsistencyRequirement>(
    CONSISTENCY,
    typeof requirement === 'string' ? { kind: requirement } : { kind: 'bounded-staleness', maxStalenessMs: requirement.maxStalenessMs },
  );

/** Puts the route's @Consistency on the request, where the load balancer reads it. */
@Injectable()
export class ConsistencyInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const requirement = this.reflector.getAllAndOverride<ConsistencyRequirement>(CONSISTENCY, [execution.getHandler(), execution.getClass()]);
    const context = RequestContext.current();
    if (requirement && context) context.consistency = requirement;
    return next.handle();
  }
}
