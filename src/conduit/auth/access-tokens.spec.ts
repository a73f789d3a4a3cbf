import { JwtService } from '@nestjs/jwt';
import { createHmac } from 'node:crypto';
import { InvalidTokenError } from '../../errors/domain-errors';
import { AccessTokens } from './access-tokens';

const SECRET = 'access-tokens-spec-secret-of-32-chars!';
const tokensWith = (secret: string, expiresIn = 3600) =>
  new AccessTokens(new JwtService({ secret, signOptions: { algorithm: 'HS256', expiresIn }, verifyOptions: { algorithms: ['HS256'] } }));
const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const signed = (header: object, claims: object, secret = SECRET) => {
  const unsigned = `${part(header)}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
};

describe('AccessTokens', () => {
  const tokens = tokensWith(SECRET);
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

  it('should give back the user id it issued a token for', async () => {
    expect(await tokens.verify(await tokens.issue(42))).toBe(42);
  });

  it.each([
    ['another secret', async () => tokensWith('another-secret-of-at-least-32-characters').issue(42)],
    ['an expired token', async () => signed({ alg: 'HS256', typ: 'JWT' }, { sub: '42', exp: Math.floor(Date.now() / 1000) - 10 })],
    ['alg: none', async () => `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: '42', exp: inAnHour() })}.`],
    ['a subject that is no id', async () => signed({ alg: 'HS256', typ: 'JWT' }, { sub: '42 OR 1=1', exp: inAnHour() })],
    ['a subject beyond the id column', async () => signed({ alg: 'HS256', typ: 'JWT' }, { sub: '99999999999', exp: inAnHour() })],
    ['no subject', async () => signed({ alg: 'HS256', typ: 'JWT' }, { exp: inAnHour() })],
    ['garbage', async () => 'not.a.jwt'],
  ])('should refuse %s with InvalidTokenError', async (_what, token) => {
    await expect(tokens.verify(await token())).rejects.toThrow(InvalidTokenError);
  });
});
