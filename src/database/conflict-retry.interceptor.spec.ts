import { CallHandler, ExecutionContext } from '@nestjs/common';
import { defer, lastValueFrom } from 'rxjs';
import { RequestContext } from '../request-context/request-context';
import { CONFLICT_RETRY, ConflictRetryInterceptor } from './conflict-retry.interceptor';
import { CertificationRetryCounters } from './galera/certification-retry';

/** As TypeORM throws MariaDB's: a QueryFailedError whose driverError is mysql2's. */
const certificationConflict = () => Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), {
  driverError: Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK', errno: 1213, sqlState: '40001' }),
});

/** A handler whose runs answer in turn from `outcomes`: an Error is thrown, anything else returned. */
function handlerAnswering(outcomes: unknown[], onRun: (run: number) => void = () => undefined): CallHandler & { runs: number } {
  const handler = {
    runs: 0,
    handle: () =>
      defer(async () => {
        const outcome = outcomes[handler.runs++];
        onRun(handler.runs);
        if (outcome instanceof Error) throw outcome;
        return outcome;
      }),
  };
  return handler;
}

/** An HTTP request with `method`, as Nest hands interceptors one. */
const request = (method = 'POST') => ({ switchToHttp: () => ({ getRequest: () => ({ method }) }) }) as unknown as ExecutionContext;

const inRequest = <T>(work: (context: RequestContext) => Promise<T>) => {
  const context = new RequestContext('req-1');
  return RequestContext.run(context, () => work(context));
};

describe('ConflictRetryInterceptor', () => {
  it('should run the handler again after a certification conflict, and answer with the run that committed', async () => {
    const counters = new CertificationRetryCounters();
    const handler = handlerAnswering([certificationConflict(), certificationConflict(), { article: 'saved' }]);

    const answer = await inRequest(() => lastValueFrom(new ConflictRetryInterceptor(counters).intercept(request(), handler)));

    expect(answer).toEqual({ article: 'saved' });
    expect(handler.runs).toBe(3);
    expect(counters).toMatchObject({ retries: 2, absorbed: 1, exhausted: 0 });
  });

  it('should not run the handler again once a write of the request committed: the conflict reaches the client', async () => {
    const counters = new CertificationRetryCounters();
    const handler = handlerAnswering([certificationConflict()], () => RequestContext.current()!.session.recordCommit());

    const run = inRequest(() => lastValueFrom(new ConflictRetryInterceptor(counters).intercept(request(), handler)));

    await expect(run).rejects.toMatchObject({ driverError: { errno: 1213 } });
    expect(handler.runs).toBe(1);
  });

  it('should give up after its attempts, and count the conflict the client got', async () => {
    const counters = new CertificationRetryCounters();
    const handler = handlerAnswering(Array.from({ length: 10 }, certificationConflict));

    await expect(inRequest(() => lastValueFrom(new ConflictRetryInterceptor(counters).intercept(request(), handler)))).rejects.toThrow(/Deadlock/);

    expect(handler.runs).toBe(CONFLICT_RETRY.attempts);
    expect(counters).toMatchObject({ retries: CONFLICT_RETRY.attempts - 1, exhausted: 1 });
  });

  it('should leave a GET alone: it writes nothing that could conflict', async () => {
    const handler = handlerAnswering([certificationConflict()]);

    await expect(inRequest(() => lastValueFrom(new ConflictRetryInterceptor(new CertificationRetryCounters()).intercept(request('GET'), handler)))).rejects.toThrow(/Deadlock/);
    expect(handler.runs).toBe(1);
  });

  it('should rethrow any other error at once', async () => {
    const handler = handlerAnswering([Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY', errno: 1062 })]);

    await expect(inRequest(() => lastValueFrom(new ConflictRetryInterceptor(new CertificationRetryCounters()).intercept(request(), handler)))).rejects.toThrow(/Duplicate/);
    expect(handler.runs).toBe(1);
  });
});
