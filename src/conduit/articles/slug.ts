import { randomBytes } from 'node:crypto';

const TITLE_PART_MAX = 100;
/** What slugFor() makes: lower-case words of [a-z0-9] joined by single dashes, the last one the random suffix. */
export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const SLUG_MAX = 120;

/** 8 characters of [0-9a-z] (40 random bits): two articles with one title still get two slugs. */
export const randomSuffix = (): string => randomBytes(5).readUIntBE(0, 5).toString(36).padStart(8, '0');

/**
 * The URL name of an article: its title's words, ASCII-folded (`Ça marche` → `ca-marche`), then a random suffix.
 * A title with no such word (`日本語`) gets the suffix alone.
 */
export function slugFor(title: string, suffix: string = randomSuffix()): string {
  const words = title
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, TITLE_PART_MAX)
    .replace(/^-+|-+$/g, '');
  return words ? `${words}-${suffix}` : suffix;
}
