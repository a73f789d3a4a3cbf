import { DomainError } from '../errors/domain-errors';

/**
 * No node takes writes now: the primary is gone and the failover manager has not promoted another yet, or
 * two nodes claim the role. Writes fail fast (503, Retry-After) instead of hanging; reads go on from replicas.
 */
export class PrimaryUnavailableError extends DomainError {
  readonly code = 'no_primary';

  /** Which nodes were tried and what they answered: for the log (ProblemDetailsFilter), never the client's body. */
  constructor(readonly reason: string) {
    super('no primary accepts writes now; retry shortly');
  }
}
