import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseNotConnectedError } from '../database/database-not-connected.error';
import { isNodeFailure, isQueryCancelled, isWriteConflict } from '../database/node-failure';
import { PrimaryUnavailableError } from '../database/primary-unavailable.error';
import { ReplicaUnavailableError } from '../database/replica-unavailable.error';
import { RequestContext } from '../request-context/request-context';
import {
  AlreadyTakenError,
  AuthenticationRequiredError,
  DomainError,
  EmptyUpdateError,
  InvalidCredentialsError,
  InvalidTokenError,
  NotTheAuthorError,
  ResourceNotFoundError,
  SelfFollowError,
} from '../errors/domain-errors';

/** RFC 9457 problem details, with the request id so a user's report can be found in the logs. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId: string;
  code?: string;
  errors?: string[];
}

/**
 * The same problem for a RealWorld (Conduit) client: those show `errors.body` to the user, and expect 422
 * for input they must fix (the spec's GenericError), where the rest of the API says 400.
 */
export interface RealWorldProblemDetails extends Omit<ProblemDetails, 'errors'> {
  errors: { body: string[] };
}

const DOMAIN_STATUS = new Map<Function, number>([
  [ResourceNotFoundError, HttpStatus.NOT_FOUND],
  [EmptyUpdateError, HttpStatus.BAD_REQUEST],
  [AuthenticationRequiredError, HttpStatus.UNAUTHORIZED],
  [InvalidTokenError, HttpStatus.UNAUTHORIZED],
  [InvalidCredentialsError, HttpStatus.UNAUTHORIZED],
  [NotTheAuthorError, HttpStatus.FORBIDDEN],
  [AlreadyTakenError, HttpStatus.UNPROCESSABLE_ENTITY],
  [SelfFollowError, HttpStatus.UNPROCESSABLE_ENTITY],
  [ReplicaUnavailableError, HttpStatus.SERVICE_UNAVAILABLE],
  [PrimaryUnavailableError, HttpStatus.SERVICE_UNAVAILABLE],
  [DatabaseNotConnectedError, HttpStatus.SERVICE_UNAVAILABLE],
]);

/** Fastify's router errors, whose own messages repeat the URL back to the client. */
const ROUTER_ERRORS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The URL has a malformed percent-encoding.',
  FST_ERR_MAX_PARAM_LENGTH: 'A part of the path is too long.',
};

export function problem(status: number, requestId: string, extra: Partial<ProblemDetails> = {}): ProblemDetails {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, requestId, ...extra };
}

/** Maps every error to problem+json: the one place where errors become HTTP. */
export function toProblem(thrown: unknown, requestId: string): ProblemDetails {
  // TypeORM wraps what its connection threw (the routing's own errors among them) in a QueryFailedError.
  const cause = (thrown as { driverError?: unknown })?.driverError;
  const error = cause instanceof DomainError ? cause : thrown;
  if (error instanceof DomainError) {
    return problem(DOMAIN_STATUS.get(error.constructor) ?? HttpStatus.UNPROCESSABLE_ENTITY, requestId, { detail: error.message, code: error.code });
  }
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message = typeof response === 'object' ? (response as { message?: unknown }).message : response;
    const errors = Array.isArray(message) ? message.map(String) : undefined;
    return problem(error.getStatus(), requestId, { detail: errors ? 'The request is invalid.' : String(message ?? error.message), errors });
  }
  // Fastify's own errors before the handler runs: malformed JSON (400), body too large (413), media type (415),
  // and the router's (a malformed URL, an over-long parameter), whose messages quote the URL: those say less.
  const { statusCode, code, message } = (error ?? {}) as { statusCode?: number; code?: string; message?: string };
  if (statusCode && statusCode >= 400 && statusCode < 500) {
    return problem(statusCode, requestId, { detail: (code && ROUTER_ERRORS[code]) ?? message, code });
  }
  if (isQueryCancelled(error)) {
    return problem(HttpStatus.SERVICE_UNAVAILABLE, requestId, { detail: 'The database cancelled the query (its time limit); try again later.', code: 'query_cancelled' });
  }
  if (isWriteConflict(error)) {
    // After one of the request's writes committed, the retry could not run it again: part of it stands.
    if (RequestContext.current()?.session.committedData) {
      const detail = 'A write of this request conflicted with a concurrent one and was rolled back, after earlier writes of it were saved. Read the resource again before sending anything again.';
      return problem(HttpStatus.CONFLICT, requestId, { detail, code: 'write_conflict_partial' });
    }
    const detail = 'The write conflicted with a concurrent one and was rolled back whole: nothing of it was saved. Send it again.';
    return problem(HttpStatus.CONFLICT, requestId, { detail, code: 'write_conflict' });
  }
  if (isNodeFailure(error)) {
    return problem(HttpStatus.SERVICE_UNAVAILABLE, requestId, { detail: 'The database is unavailable; try again shortly.' });
  }
  return problem(HttpStatus.INTERNAL_SERVER_ERROR, requestId, { detail: 'An unexpected error occurred.' });
}

/** `problem` in the RealWorld form: 400 becomes 422, and the messages move to `errors.body`. */
export function asRealWorldProblem(problem: ProblemDetails): RealWorldProblemDetails {
  const { errors, ...rest } = problem;
  const status = problem.status === HttpStatus.BAD_REQUEST ? HttpStatus.UNPROCESSABLE_ENTITY : problem.status;
  return { ...rest, status, title: STATUS_CODES[status] ?? problem.title, errors: { body: errors ?? [problem.detail ?? problem.title] } };
}

export function sendProblem(reply: FastifyReply, body: ProblemDetails | RealWorldProblemDetails): void {
  if (body.status === HttpStatus.SERVICE_UNAVAILABLE) void reply.header('Retry-After', '1');
  void reply.status(body.status).type('application/problem+json').send(body);
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  /**
   * `explain` may say what an error means for the client better than the error itself (see DatabaseConnection).
   * Requests under `realWorldPath` (the Conduit API's /api) get the RealWorld form of each problem.
   */
  constructor(
    private readonly explain: (error: unknown) => unknown = (error) => error,
    private readonly realWorldPath?: string,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const explained = this.explain(error);
    const body = toProblem(explained, String(request.id));
    body.instance = request.url;
    // Expected errors (4xx, a 503 from readiness or an unavailable database) are the access log's business; an
    // unavailable database's reason (which nodes, what they answered) is the operators', not the client's.
    if (body.status === HttpStatus.INTERNAL_SERVER_ERROR) this.logger.error({ requestId: body.requestId, err: error }, (error as Error)?.stack);
    const reason = unavailableReason(explained);
    if (reason) this.logger.warn({ requestId: body.requestId, reason }, body.detail);
    sendProblem(http.getResponse<FastifyReply>(), speaksRealWorld(request.url, this.realWorldPath) ? asRealWorldProblem(body) : body);
  }
}

function unavailableReason(error: unknown): string | undefined {
  const cause = (error as { driverError?: unknown })?.driverError ?? error;
  return cause instanceof PrimaryUnavailableError || cause instanceof ReplicaUnavailableError ? cause.reason : undefined;
}

function speaksRealWorld(url: string, path: string | undefined): boolean {
  return path !== undefined && (url === path || url.startsWith(`${path}/`) || url.startsWith(`${path}?`));
}

/**
 * Fastify's `frameworkErrors`: what its router refuses before any hook, filter or the request id header runs
 * (a malformed percent-encoding, a path parameter over maxParamLength), answered like every other error.
 */
export function sendFrameworkError(error: Error, request: FastifyRequest, reply: FastifyReply, realWorldPath?: string): void {
  const body = toProblem(error, String(request.id));
  void reply.header('X-Request-Id', request.id);
  sendProblem(reply, speaksRealWorld(request.url, realWorldPath) ? asRealWorldProblem(body) : body);
}
