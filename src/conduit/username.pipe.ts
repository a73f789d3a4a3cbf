import { Injectable, PipeTransform } from '@nestjs/common';
import { ResourceNotFoundError } from '../errors/domain-errors';
import { USERNAME } from './users/dto/user.dto';

/** A username in a path: one that no user can have is a 404 without a query (and never a 500 from SQL). */
@Injectable()
export class ParseUsernamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!USERNAME.test(value)) throw new ResourceNotFoundError('profile', value.length > 40 ? `${value.slice(0, 40)}…` : value);
    return value;
  }
}
