/**
 * Redis keys of the Conduit articles module. An article entry holds what every viewer sees alike (its
 * favoritesCount included); `favorited` and the author's `following` are per viewer, never cached.
 */
export const conduitArticleCacheKeys = {
  /** An article by slug, with its tags, favoritesCount and author id (the author's profile is cached apart). */
  article: (slug: string) => `conduit:v1:article:${slug}`,
  /** What a user favourited. Never filled (favorited flags and ?favorited= lists are read per request); favourites mark it. */
  favorites: (userId: number) => `conduit:v1:favorites:${userId}`,
};
