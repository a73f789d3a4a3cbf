import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { RedisCache } from '../cache/redis-cache';
import { AppConfig } from '../config/app-config';
import { EmptyUpdateError, ResourceNotFoundError } from '../errors/domain-errors';
import { articleCacheKeys as keys } from './article-cache-keys';
import { Article } from './article.entity';
import { ArticlePage, ArticleResponse, ArticleStats, CreateArticleDto, UpdateArticleDto } from './dto/article.dto';

const toResponse = (a: Article): ArticleResponse => ({
  id: a.id,
  title: a.title,
  body: a.body,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});

@Injectable()
export class ArticlesService {
  constructor(
    @InjectRepository(Article) private readonly articles: Repository<Article>,
    private readonly cache: RedisCache,
    private readonly config: AppConfig,
  ) {}

  async create(input: CreateArticleDto): Promise<ArticleResponse> {
    const article = await this.cache.invalidating([keys.lists], () => this.articles.save(this.articles.create(input)));
    return toResponse(article);
  }

  async findOne(id: number): Promise<ArticleResponse> {
    const article = await this.cache.getOrLoad(keys.article(id), this.config.CACHE_TTL_SECONDS, async () => {
      const found = await this.articles.findOneBy({ id });
      return found && toResponse(found);
    });
    if (!article) throw new ResourceNotFoundError('article', id);
    return article;
  }

  /** Newest first; the cursor is the last id of the previous page (keyset pagination: no OFFSET scans). */
  list(limit: number, cursor?: number): Promise<ArticlePage> {
    return this.cache.getOrLoad(
      keys.lists,
      this.config.CACHE_LIST_TTL_SECONDS,
      async () => {
        const rows = await this.articles.find({ where: cursor ? { id: LessThan(cursor) } : {}, order: { id: 'DESC' }, take: limit + 1 });
        const items = rows.slice(0, limit).map(toResponse);
        return { items, nextCursor: rows.length > limit ? String(items[items.length - 1].id) : null };
      },
      keys.listPage(limit, cursor),
    );
  }

  async stats(): Promise<ArticleStats> {
    const row = await this.articles.createQueryBuilder('a').select('count(*)::int', 'count').addSelect('max(a.id)', 'newestId').getRawOne<{ count: number; newestId: number | null }>();
    return { count: row?.count ?? 0, newestId: row?.newestId ?? null };
  }

  async latest(): Promise<ArticleResponse> {
    const [article] = await this.articles.find({ order: { id: 'DESC' }, take: 1 });
    if (!article) throw new ResourceNotFoundError('article', 'latest');
    return toResponse(article);
  }

  async update(id: number, changes: UpdateArticleDto): Promise<ArticleResponse> {
    if (changes.title === undefined && changes.body === undefined) throw new EmptyUpdateError();
    const article = await this.cache.invalidating([keys.article(id), keys.lists], () =>
      this.articles.manager.transaction(async (em) => {
        const existing = await em.findOne(Article, { where: { id }, lock: { mode: 'pessimistic_write' } });
        if (!existing) throw new ResourceNotFoundError('article', id);
        return em.save(Article, em.merge(Article, existing, changes));
      }),
    );
    return toResponse(article);
  }

  async remove(id: number): Promise<void> {
    const { affected } = await this.cache.invalidating([keys.article(id), keys.lists], () => this.articles.delete({ id }));
    if (!affected) throw new ResourceNotFoundError('article', id);
  }
}
