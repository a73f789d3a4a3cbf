import { BadRequestException } from '@nestjs/common';
import { validationPipe } from './configure-http';
import { MAX_ID, ParseIdPipe } from './parse-id.pipe';

/** `@Param('id', ParseIdPipe) id: number` as Nest runs it: the global pipe first, then the parameter's own. */
async function pathId(raw: string): Promise<number> {
  const converted = await validationPipe().transform(raw, { type: 'param', metatype: Number, data: 'id' });
  return new ParseIdPipe().transform(converted);
}

describe('ParseIdPipe behind the global ValidationPipe', () => {
  it.each(['1', '37', String(MAX_ID)])('should take the canonical id %s', async (raw) => {
    await expect(pathId(raw)).resolves.toBe(Number(raw));
  });

  // Number() takes each of these for 16 or 1: the comment they name would be deleted.
  it.each(['0x10', '01', '+1', ' 1', '1 ', '1e0', '1.0', '0b1', '0o1', '', '0', '-1', String(MAX_ID + 1), 'abc'])(
    'should refuse %p, which is no canonical id',
    async (raw) => {
      await expect(pathId(raw)).rejects.toBeInstanceOf(BadRequestException);
    },
  );
});
