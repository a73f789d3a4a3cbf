import { DomainError } from '../errors/domain-errors';

/** The app's data source has not connected yet (it keeps trying in the background): queries answer 503 until then. */
export class DatabaseNotConnectedError extends DomainError {
  readonly code = 'database_not_connected';

  constructor() {
    super('the app has not connected to the database yet; retry shortly');
  }
}
