import { NotFoundException } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { StatusPageGuard } from './status-page.guard';

/** Production refuses the public dev secrets. */
const production = { NODE_ENV: 'production', CONSISTENCY_TOKEN_SECRET: 'operator-consistency-secret', DB_PASSWORD: 'operator-db-password', JWT_SECRET: 'operator-jwt-secret-of-at-least-32-chars' };

describe('StatusPageGuard', () => {
  it('should let the page through where STATUS_PAGE allows it', () => {
    expect(new StatusPageGuard(AppConfig.fromEnv({ ...production, STATUS_PAGE: 'true' })).canActivate()).toBe(true);
  });

  it('should answer 404, as if there were no page, where it is off', () => {
    const guard = new StatusPageGuard(AppConfig.fromEnv(production));

    expect(() => guard.canActivate()).toThrow(NotFoundException);
  });
});
