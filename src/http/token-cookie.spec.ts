import type { SerializeOptions } from '@fastify/cookie';
import { TokenCookie } from './token-cookie';

describe('TokenCookie', () => {
  const serializing = () => jest.fn((name: string, value: string, options: SerializeOptions) => `${name}=${value}${options.secure ? '; Secure' : ''}`);

  it('should serialise a token once per protocol however many responses carry it', () => {
    const serializer = serializing();
    const cookie = new TokenCookie('consistency_token', 300, serializer);

    const lines = [cookie.line('t1', false), cookie.line('t1', false), cookie.line('t1', true), cookie.line('t1', true)];

    expect(lines).toEqual(['consistency_token=t1', 'consistency_token=t1', 'consistency_token=t1; Secure', 'consistency_token=t1; Secure']);
    expect(serializer.mock.calls).toEqual([
      ['consistency_token', 't1', { httpOnly: true, secure: false, sameSite: 'lax', path: '/', maxAge: 300 }],
      ['consistency_token', 't1', { httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: 300 }],
    ]);
  });

  it("should give each protocol the line of the token it is asked for, after the other protocol's token moved on", () => {
    const cookie = new TokenCookie('consistency_token', 300, serializing());

    cookie.line('t1', false);
    cookie.line('t2', true);

    expect(cookie.line('t3', false)).toBe('consistency_token=t3');
    expect(cookie.line('t2', true)).toBe('consistency_token=t2; Secure');
    expect(cookie.line('t1', true)).toBe('consistency_token=t1; Secure');
  });
});
