import { BadRequestException } from '@nestjs/common';

/** Deeper than any request body of this API; a deeper one is refused before a recursive validator walks it. */
export const MAX_JSON_DEPTH = 32;

/**
 * Refuses what JSON allows but nothing behind the API can take: strings (or keys) holding U+0000, which
 * PostgreSQL's text rejects (a 500 if it got that far), and nesting deeper than MAX_JSON_DEPTH, which would
 * exhaust the stack of the recursive transformers and validators. Iterative, so a deep body cannot crash it.
 */
export function checkJsonBody(value: unknown): void {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length) {
    const [node, depth] = pending.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\u0000')) throw new BadRequestException('strings must not contain NUL (\\u0000) characters');
    } else if (node !== null && typeof node === 'object') {
      if (depth > MAX_JSON_DEPTH) throw new BadRequestException(`the body is nested deeper than ${MAX_JSON_DEPTH} levels`);
      for (const [key, child] of Object.entries(node)) {
        if (key.includes('\u0000')) throw new BadRequestException('keys must not contain NUL (\\u0000) characters');
        pending.push([child, depth + 1]);
      }
    }
  }
}
