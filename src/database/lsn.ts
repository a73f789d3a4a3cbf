/**
 * A PostgreSQL WAL position ("16/B374D848": high and low 32 bits in hex), as a bigint so that positions
 * can be compared and subtracted exactly (they pass 2^53 on busy clusters).
 */
export type Lsn = bigint;

const LSN_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export function parseLsn(text: string): Lsn {
  const match = LSN_PATTERN.exec(text);
  if (!match) throw new Error(`not an LSN: ${JSON.stringify(text)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** A position as 16 hex digits: such strings compare as the positions do (in Redis, in Lua). */
export function fixedWidthHex(lsn: Lsn): string {
  return lsn.toString(16).padStart(16, '0');
}

/** Bytes of WAL the replica has still to replay; 0 when it is level with (or, by a race, ahead of) the primary. */
export function lagBytes(primaryLsn: Lsn, replayLsn: Lsn): number {
  return primaryLsn > replayLsn ? Number(primaryLsn - replayLsn) : 0;
}

/**
 * A position no node will reach: what a token carries when a write committed but its position could not be
 * read (the primary went away in between). Its holder reads from the primary until the token expires.
 */
export const UNKNOWN_POSITION: Lsn = 0xffffffffffffffffn;
