import { fixedWidthHex, Lsn } from '../database/lsn';

/** LSNs as fixed-width hex (16 digits) compare correctly as strings, also inside Lua; '' (none) sorts first. */
export const lsnKey = (lsn: Lsn | undefined): string => (lsn === undefined ? '' : fixedWidthHex(lsn));

/** The position of the key's last write (its invalidation): fills read before it are refused. */
export const markerOf = (key: string) => `${key}:invalidated-at`;

/**
 * How many invalidations of the key have landed (absent: none while its marker lives): a fill is refused when
 * one landed during its load, whatever positions the load claims (see RedisCache's FILL).
 */
export const invalidationsOf = (key: string) => `${key}:invalidations`;

/** How many writes to the key are between their start and their invalidation (absent: none). */
export const writersOf = (key: string) => `${key}:writing`;

/** This Redis process's valid-from position (see ValidFrom). */
export const VALID_FROM_KEY = 'cache:valid-from';
