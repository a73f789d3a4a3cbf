import { sequenceInDomain } from './gtid';

describe('sequenceInDomain', () => {
  it('should read the sequence number of the asked domain, whatever the order of the list', () => {
    expect(sequenceInDomain('1-2-7,0-11-57', 0)).toBe(57n);
    expect(sequenceInDomain('0-11-57, 1-2-7', 1)).toBe(7n);
  });

  it('should keep a sequence number past 2^53 exact', () => {
    expect(sequenceInDomain('0-11-18446744073709551615', 0)).toBe(18446744073709551615n);
  });

  it('should answer null for a position without the domain, an empty one, or none', () => {
    expect(sequenceInDomain('1-2-7', 0)).toBeNull();
    expect(sequenceInDomain('', 0)).toBeNull();
    expect(sequenceInDomain(null, 0)).toBeNull();
  });
});
