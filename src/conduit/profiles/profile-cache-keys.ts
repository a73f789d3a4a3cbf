/**
 * Redis keys of the profiles module. A profile entry holds what every viewer sees alike; `following` is
 * per viewer and is never cached (see ProfilesService).
 */
export const profileCacheKeys = {
  /** A user's public profile by id: the authors of articles and comments, and GET /profiles/:username. */
  profile: (userId: number) => `conduit:v1:profile:${userId}`,
  /** Whom a user follows. Never filled (the flags and the feed are read per viewer); a follow or unfollow marks it. */
  follows: (followerId: number) => `conduit:v1:follows:${followerId}`,
};
