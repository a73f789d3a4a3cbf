import { QueryFailedError } from 'typeorm';

/** The constraint a failed INSERT or UPDATE violated, when it was a unique one (SQLSTATE 23505). */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const cause = error.driverError as { code?: string; constraint?: string } | undefined;
  return cause?.code === '23505' ? cause.constraint : undefined;
}
