import { median } from './statistics';

describe('median', () => {
  it('should take the middle value of an odd count, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('should take the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('should ignore values that are not finite (a run with no requests)', () => {
    expect(median([1, NaN, 3, Infinity])).toBe(2);
  });

  it('should be NaN when there is nothing to take the middle of', () => {
    expect(median([])).toBeNaN();
  });
});
