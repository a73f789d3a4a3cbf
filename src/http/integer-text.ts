import { Transform } from 'class-transformer';

/** A non-negative integer as a person writes it: 0, or digits with no leading zero, sign, blank, exponent or fraction. */
export const INTEGER_TEXT = /^(0|[1-9][0-9]*)$/;

/**
 * A query value becomes a number only when it is written that way; anything else stays the text it was, for @IsInt
 * to refuse. class-transformer's `@Type(() => Number)` is Number(text), which takes 0x10, 01, +5, ' 5', 1e1 and ''.
 */
export const ToInteger = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && INTEGER_TEXT.test(value) ? Number(value) : value));
