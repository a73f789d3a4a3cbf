import type { SerializeOptions } from '@fastify/cookie';

type Serialize = (name: string, value: string, options: SerializeOptions) => string;

/**
 * The consistency token's Set-Cookie line. A token is shared by every response at one position in one second,
 * so each protocol's line is serialised once per token rather than once per response.
 */
export class TokenCookie {
  /** The last line for plain http [0] and for https [1]. */
  private readonly last: { token?: string; line: string }[] = [{ line: '' }, { line: '' }];

  constructor(
    private readonly name: string,
    private readonly maxAgeSeconds: number,
    private readonly serialize: Serialize,
  ) {}

  /** `secure`: the client came over https (a browser drops a Secure cookie over plain http). */
  line(token: string, secure: boolean): string {
    const last = this.last[secure ? 1 : 0];
    if (last.token !== token) {
      last.line = this.serialize(this.name, token, { httpOnly: true, secure, sameSite: 'lax', path: '/', maxAge: this.maxAgeSeconds });
      last.token = token;
    }
    return last.line;
  }
}
