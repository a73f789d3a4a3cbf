import { QueryFailedError } from 'typeorm';

/** MariaDB's duplicate-key error names the key at the end of its message: `… for key 'conduit_user_email_key'`. */
const DUPLICATE_KEY = /for key '(?:[^'.]*\.)?([^'.]+)'$/;

/**
 * The constraint a failed INSERT or UPDATE violated, when it was a unique one: PostgreSQL's SQLSTATE 23505
 * carries its name; MariaDB's ER_DUP_ENTRY (1062) only its message (the key is named as the constraint).
 */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const cause = error.driverError as { code?: string; errno?: number; constraint?: string; sqlMessage?: string; message?: string } | undefined;
  if (cause?.code === '23505') return cause.constraint;
  if (cause?.errno === 1062) return DUPLICATE_KEY.exec(cause.sqlMessage ?? cause.message ?? '')?.[1];
  return undefined;
}
