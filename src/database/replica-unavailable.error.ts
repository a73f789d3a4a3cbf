import { DomainError } from '../errors/domain-errors';

/** REPLICA_FALLBACK=fail (or least-lagging with none within the cap) and no replica may serve a read. */
export class ReplicaUnavailableError extends DomainError {
  readonly code = 'no_replica_available';

  constructor(reason: string) {
    super(`no replica may serve this read now: ${reason}`);
  }
}
