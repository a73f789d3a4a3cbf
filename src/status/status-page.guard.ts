import { CanActivate, Injectable, NotFoundException } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

/** The page names every node and how far behind it is: it exists only where STATUS_PAGE allows (a 404 otherwise). */
@Injectable()
export class StatusPageGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(): boolean {
    if (!this.config.statusPage) throw new NotFoundException();
    return true;
  }
}
