import { keepCookies } from './token-keeping-client';

describe('keepCookies', () => {
  it("should keep each cookie's name and value, without its attributes", () => {
    const jar = new Map<string, string>();

    keepCookies(jar, ['consistency_token=v1.abc.def; Max-Age=60; Path=/; HttpOnly; SameSite=Lax', 'other=1']);

    expect([...jar]).toEqual([
      ['consistency_token', 'v1.abc.def'],
      ['other', '1'],
    ]);
  });

  it('should replace a cookie with its newer value, and drop one that expires or empties', () => {
    const jar = new Map([
      ['consistency_token', 'old'],
      ['gone', 'x'],
      ['emptied', 'y'],
    ]);

    keepCookies(jar, ['consistency_token=new; Path=/', 'gone=x; Max-Age=0', 'emptied=']);

    expect([...jar]).toEqual([['consistency_token', 'new']]);
  });

  it('should take a single Set-Cookie string, and no header at all', () => {
    const jar = new Map<string, string>();

    keepCookies(jar, 'a=b=c; Path=/');
    keepCookies(jar, undefined);

    expect(jar.get('a')).toBe('b=c');
  });
});
