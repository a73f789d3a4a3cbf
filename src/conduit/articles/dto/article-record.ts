import { ConduitArticle } from '../conduit-article.entity';

/** What is cached of an article: what every viewer sees alike, with its author as an id (their profile is cached apart). */
export interface ArticleRecord {
  id: number;
  slug: string;
  title: string;
  description: string;
  body: string;
  tagList: string[];
  createdAt: string;
  updatedAt: string;
  favoritesCount: number;
  authorId: number;
}

export const recordOf = (article: ConduitArticle): ArticleRecord => ({
  id: article.id,
  slug: article.slug,
  title: article.title,
  description: article.description,
  body: article.body,
  tagList: (article.tags ?? []).map((tag) => tag.name).sort(),
  createdAt: article.createdAt.toISOString(),
  updatedAt: article.updatedAt.toISOString(),
  favoritesCount: article.favoritesCount,
  authorId: article.authorId,
});
