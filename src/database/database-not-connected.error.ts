import { DomainError } from '../errors/domain-errors';

/** The app started while no database node answered, and has not connected since: queries wait for it (503). */
export class DatabaseNotConnectedError extends DomainError {
  readonly code = 'database_not_connected';

  constructor() {
    super('no database node has answered since the app started; retry shortly');
  }
}
