import { DomainError } from '../errors/domain-errors';

/** REPLICA_FALLBACK=fail (or least-lagging with none within the cap) and no replica may serve a read. */
export class ReplicaUnavailableError extends DomainError {
  readonly code = 'no_replica_available';

  /** Which nodes were tried and why none may serve: for the log (ProblemDetailsFilter), never the client's body. */
  constructor(readonly reason: string) {
    super('no replica may serve this read now; retry shortly');
  }
}
