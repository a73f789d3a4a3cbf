import { Injectable, PipeTransform } from '@nestjs/common';
import { ResourceNotFoundError } from '../errors/domain-errors';
import { SLUG, SLUG_MAX } from './articles/slug';

/** A slug in a path: one that no article can have (`..`, `%2f`, overlong) is a 404 without a query. */
@Injectable()
export class ParseSlugPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (value.length > SLUG_MAX || !SLUG.test(value)) throw new ResourceNotFoundError('article', value.length > SLUG_MAX ? `${value.slice(0, SLUG_MAX)}…` : value);
    return value;
  }
}
