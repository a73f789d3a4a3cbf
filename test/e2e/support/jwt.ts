import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { parseConfig } from '../../../src/config/app-config';
import { paths } from '../../../stack/native/paths';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The JWT_SECRET the stack's app servers sign with (stack/app.env, else the dev default). */
export const stackJwtSecret = (): string => parseConfig(parseEnv(readFileSync(paths.appEnv, 'utf8'))).JWT_SECRET;

/** A JWT built by hand, as an attacker would: any algorithm name, any claims, any key (none for `alg: none`). */
export function handMadeJwt(claims: Record<string, unknown>, { alg = 'HS256', secret }: { alg?: string; secret?: string } = {}): string {
  const unsigned = `${base64url({ alg, typ: 'JWT' })}.${base64url(claims)}`;
  if (secret === undefined) return `${unsigned}.`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] ?? 'sha256';
  return `${unsigned}.${createHmac(hash, secret).update(unsigned).digest('base64url')}`;
}
