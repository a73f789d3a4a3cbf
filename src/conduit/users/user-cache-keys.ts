/**
 * Redis keys of the users module, one per way a user is named. They name resources as well as cache entries:
 * every write to a user goes through RedisCache.invalidating() with the keys whose resource it changes.
 */
export const userCacheKeys = {
  /** The user an email names (login). Never filled, so credentials stay out of Redis; writes still mark it. */
  userByEmail: (email: string) => `conduit:v1:user-by-email:${email}`,
  /** The id of the user a username names (GET /profiles/:username; see ProfilesService). */
  userByUsername: (username: string) => `conduit:v1:user-by-username:${username}`,
};
