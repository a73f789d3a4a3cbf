import { BadRequestException } from '@nestjs/common';
import { checkJsonBody, MAX_JSON_DEPTH } from './json-body';

const nested = (levels: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

describe('checkJsonBody', () => {
  it('should let an ordinary body through', () => {
    expect(() => checkJsonBody({ user: { email: 'a@b.test', tags: ['x', 'y'], n: 1, ok: true, none: null } })).not.toThrow();
  });

  it('should refuse a NUL character in a string or a key', () => {
    expect(() => checkJsonBody({ user: { bio: 'a\u0000b' } })).toThrow(BadRequestException);
    expect(() => checkJsonBody({ ['x\u0000']: 1 })).toThrow(BadRequestException);
  });

  it(`should allow ${MAX_JSON_DEPTH} levels of objects and arrays and refuse one more`, () => {
    expect(() => checkJsonBody(nested(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => checkJsonBody(nested(MAX_JSON_DEPTH + 1))).toThrow(/nested deeper/);
  });

  it('should refuse 100 000 levels without exhausting the stack', () => {
    expect(() => checkJsonBody(nested(100_000))).toThrow(/nested deeper/);
  });
});
