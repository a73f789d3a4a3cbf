/** Redis keys of the articles module: one key per article, one hash holding every cached list page. */
export const articleCacheKeys = {
  article: (id: number) => `articles:v1:${id}`,
  lists: 'articles:v1:lists',
  listPage: (limit: number, cursor?: number) => `${limit}:${cursor ?? ''}`,
};
