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

/** A route that needs a signed-in user got no `Authorization: Token <jwt>` header. */
export class AuthenticationRequiredError extends DomainError {
  readonly code = 'authentication_required';

  constructor() {
    super('this needs a signed-in user: send Authorization: Token <jwt>');
  }
}

/** An access token that is malformed, forged, expired, or names a user who no longer exists. */
export class InvalidTokenError extends DomainError {
  readonly code = 'invalid_token';

  constructor() {
    super('the access token is invalid or expired; sign in again');
  }
}

/** Login with an unknown email or a wrong password: which of the two is not said. */
export class InvalidCredentialsError extends DomainError {
  readonly code = 'invalid_credentials';

  constructor() {
    super('email or password is invalid');
  }
}

/** A signed-in user changing or deleting what someone else wrote. */
export class NotTheAuthorError extends DomainError {
  readonly code = 'not_the_author';

  constructor(resource: string) {
    super(`only its author may change this ${resource}`);
  }
}

/** A unique name (an email, a username) that another account holds already. */
export class AlreadyTakenError extends DomainError {
  readonly code = 'already_taken';

  constructor(field: string) {
    super(`${field} has already been taken`);
  }
}

export class SelfFollowError extends DomainError {
  readonly code = 'self_follow';

  constructor() {
    super('you cannot follow yourself');
  }
}
