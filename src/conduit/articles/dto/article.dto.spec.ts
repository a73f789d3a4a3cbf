import { BadRequestException } from '@nestjs/common';
import { validationPipe } from '../../../http/configure-http';
import { ListArticlesQuery } from './article.dto';

/** `@Query() query: ListArticlesQuery` as the global ValidationPipe reads a query string's values. */
const query = (values: Record<string, string>) => validationPipe().transform(values, { type: 'query', metatype: ListArticlesQuery });

describe('GET /api/articles?limit=&offset=', () => {
  it('should take canonical integers, and default both', async () => {
    await expect(query({ limit: '5', offset: '0' })).resolves.toMatchObject({ limit: 5, offset: 0 });
    await expect(query({ offset: '40' })).resolves.toMatchObject({ limit: 20, offset: 40 });
  });

  it.each(['0x10', '01', '+5', ' 5', '5 ', '1e1', '5.0', '', 'abc'])('should refuse limit=%p, which Number() would take or make 0', async (raw) => {
    await expect(query({ limit: raw })).rejects.toBeInstanceOf(BadRequestException);
    await expect(query({ offset: raw })).rejects.toBeInstanceOf(BadRequestException);
  });
});
