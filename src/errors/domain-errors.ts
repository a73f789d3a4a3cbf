/**
 * Errors the domain raises, each with a stable `code` that clients may rely on. They know nothing of HTTP:
 * ProblemDetailsFilter is the one place that maps them to status codes.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export class ResourceNotFoundError extends DomainError {
  readonly code = 'not_found';

  constructor(resource: string, id: number | string) {
    super(`${resource} ${id} does not exist`);
  }
}

export class EmptyUpdateError extends DomainError {
  readonly code = 'empty_update';

  constructor() {
    super('the request names no field to change');
  }
}
