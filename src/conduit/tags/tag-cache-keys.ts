/** Redis keys of the tags module. */
export const tagCacheKeys = {
  /** GET /tags: every tag some article carries, most used first. Changed by creating or deleting an article. */
  tagList: 'conduit:v1:tag-list',
};
