import { randomSuffix, SLUG, SLUG_MAX, slugFor } from './slug';

describe('slugFor', () => {
  it('should join the title’s words with dashes and end with the suffix', () => {
    expect(slugFor('How to train your dragon', 'abc12345')).toBe('how-to-train-your-dragon-abc12345');
  });

  it('should fold accents and drop punctuation', () => {
    expect(slugFor('Ça marche, déjà?! ../%2f', 'abc12345')).toBe('ca-marche-deja-2f-abc12345');
  });

  it('should give a title with no ASCII word the suffix alone', () => {
    expect(slugFor('日本語', 'abc12345')).toBe('abc12345');
  });

  it('should stay within the column and the slug pattern for any title', () => {
    for (const title of ['x'.repeat(200), '-'.repeat(200), `${'a-'.repeat(99)}b`, ' a ']) {
      const slug = slugFor(title);

      expect(slug.length).toBeLessThanOrEqual(SLUG_MAX);
      expect(slug).toMatch(SLUG);
    }
  });

  it('should give two articles with one title two slugs', () => {
    expect(slugFor('Same title')).not.toBe(slugFor('Same title'));
    expect(randomSuffix()).toMatch(/^[0-9a-z]{8}$/);
  });
});
