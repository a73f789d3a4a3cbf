/** Redis keys of the comments module. */
export const commentCacheKeys = {
  /**
   * An article's comments, oldest first, with author ids (their profiles and the viewer's `following` are added per
   * request). By article id: a new title changes the slug, not the comments.
   */
  comments: (articleId: number) => `conduit:v1:comments:${articleId}`,
};
