import { judgeRead, judgeWrite } from './write-read-pairs';

const written = { title: 'Article 1', description: 'One line.', body: 'Written to the primary.' };
const answer = (status: number, body: unknown = {}) => ({ status, json: <T>() => body as T });

describe('judgeRead', () => {
  it('should find a read fresh when it answers the article as written', () => {
    expect(judgeRead(written, answer(200, { article: { slug: 'article-1-abcd1234', ...written, createdAt: 'x' } }))).toBe('fresh');
  });

  it('should find a read stale when the article is not there yet (404)', () => {
    expect(judgeRead(written, answer(404))).toBe('stale');
  });

  it('should find a read stale when it answers an older body', () => {
    expect(judgeRead(written, answer(200, { article: { ...written, body: 'before the write' } }))).toBe('stale');
  });

  it('should count any other answer as failed, not stale', () => {
    expect(judgeRead(written, answer(503))).toBe('failed');
    expect(judgeRead(written, answer(500))).toBe('failed');
  });
});

describe('judgeWrite', () => {
  it('should take a 201 as the write acknowledged', () => {
    expect(judgeWrite({ status: 201 })).toBe('acknowledged');
  });

  it('should find a 404 to a create stale: the article was written, and read back where it was not yet', () => {
    expect(judgeWrite({ status: 404 })).toBe('stale');
  });

  it('should count any other answer, or none, as a failed write', () => {
    expect(judgeWrite({ status: 503 })).toBe('failed');
    expect(judgeWrite(undefined)).toBe('failed');
  });
});
