import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, Observable } from 'rxjs';
import { RequestContext } from '../request-context/request-context';
import { CertificationRetryCounters, retryOnCertificationConflict } from './galera/certification-retry';
import { isWriteConflict } from './node-failure';

/** Runs of a request at most, the first included; the delays are full jitter between these bounds. */
export const CONFLICT_RETRY = { attempts: 8, baseDelayMs: 20, maxDelayMs: 1000 } as const;

/**
 * Runs a request again when its write lost to a concurrent one (a Galera certification conflict, a deadlock): the
 * database rolled that transaction back whole, so running the whole handler again is the retry that can succeed,
 * and a module author writes `save()` as the NestJS docs teach, with no retry loop of their own. Only while the
 * request has committed nothing: a second run would repeat a write that stands. Past the attempts, or after a
 * commit, the conflict reaches the client as a 409 (the problem-details filter). GET and HEAD write nothing, and
 * pass through untouched: the hot path pays nothing for it.
 */
@Injectable()
export class ConflictRetryInterceptor implements NestInterceptor {
  constructor(private readonly counters: CertificationRetryCounters) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { method } = execution.switchToHttp().getRequest<{ method: string }>();
    if (method === 'GET' || method === 'HEAD') return next.handle();
    const session = RequestContext.current()?.session;
    const retryable = (error: unknown) => isWriteConflict(error) && !session?.committedData;
    return from(retryOnCertificationConflict(() => lastValueFrom(next.handle(), { defaultValue: undefined }), { ...CONFLICT_RETRY, counters: this.counters, retryable }));
  }
}
