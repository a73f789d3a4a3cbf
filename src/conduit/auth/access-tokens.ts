import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InvalidTokenError } from '../../errors/domain-errors';

interface AccessTokenClaims {
  /** The user's id: ids never change, usernames and emails may. */
  sub: string;
}

/** The Conduit access tokens: HS256 JWTs signed with JWT_SECRET, valid for JWT_TTL_SECONDS (see AuthModule). */
@Injectable()
export class AccessTokens {
  constructor(private readonly jwt: JwtService) {}

  issue(userId: number): Promise<string> {
    return this.jwt.signAsync({ sub: String(userId) } satisfies AccessTokenClaims);
  }

  /** The user id a token names; InvalidTokenError when it is malformed, forged, of another algorithm, or expired. */
  async verify(token: string): Promise<number> {
    const claims = await this.jwt.verifyAsync<AccessTokenClaims>(token).catch(() => undefined);
    const id = /^[1-9][0-9]{0,9}$/.test(String(claims?.sub)) ? Number(claims?.sub) : NaN;
    if (!Number.isSafeInteger(id) || id > 2_147_483_647) throw new InvalidTokenError();
    return id;
  }
}
