import { NotFoundException } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { StatusPageGuard } from './status-page.guard';

describe('StatusPageGuard', () => {
  it('should let the page through where STATUS_PAGE allows it', () => {
    expect(new StatusPageGuard(AppConfig.fromEnv({ NODE_ENV: 'production', STATUS_PAGE: 'true' })).canActivate()).toBe(true);
  });

  it('should answer 404, as if there were no page, where it is off', () => {
    const guard = new StatusPageGuard(AppConfig.fromEnv({ NODE_ENV: 'production' }));

    expect(() => guard.canActivate()).toThrow(NotFoundException);
  });
});
