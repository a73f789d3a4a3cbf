import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/** The largest value of PostgreSQL's `integer`, the type of the example ids. */
export const MAX_ID = 2_147_483_647;

/** A path id: a positive integer within the column's range; anything else is a 400, never a 500 from SQL. */
@Injectable()
export class ParseIdPipe implements PipeTransform<string | number, number> {
  // The global ValidationPipe (transform: true) runs first and may already have made a number, or NaN, of it.
  transform(value: string | number): number {
    const text = String(value);
    if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > MAX_ID) {
      throw new BadRequestException(`id must be a positive integer up to ${MAX_ID}`);
    }
    return Number(text);
  }
}
