import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository, SelectQueryBuilder } from 'typeorm';
import { RedisCache } from '../../cache/redis-cache';
import { AppConfig } from '../../config/app-config';
import { EmptyUpdateError, NotTheAuthorError, ResourceNotFoundError } from '../../errors/domain-errors';
import { commentCacheKeys } from '../comments/comment-cache-keys';
import { insertUnlessPresent, referencedRowLock } from '../portable-writes';
import { viewOf } from '../profiles/dto/profile.dto';
import { Follow } from '../profiles/follow.entity';
import { ProfilesService, publicProfileOf } from '../profiles/profiles.service';
import { tagCacheKeys } from '../tags/tag-cache-keys';
import { TagsService } from '../tags/tags.service';
import { User } from '../users/user.entity';
import { conduitArticleCacheKeys as keys } from './article-cache-keys';
import { ConduitArticle } from './conduit-article.entity';
import { ArticleRecord, recordOf } from './dto/article-record';
import { ArticleSummary, ArticleView, FeedQuery, ListArticlesQuery, MultipleArticlesResponse, NewArticle, SingleArticleResponse, UpdateArticle } from './dto/article.dto';
import { Favorite } from './favorite.entity';
import { slugFor } from './slug';

/**
 * Conduit articles and favourites. A single article comes from the cache (the part every viewer sees alike)
 * plus the viewer's own flags, read per request; lists are read whole from the database, flags included.
 */
@Injectable()
export class ConduitArticlesService {
  constructor(
    @InjectRepository(ConduitArticle) private readonly articles: Repository<ConduitArticle>,
    @InjectRepository(Favorite) private readonly favorites: Repository<Favorite>,
    private readonly profiles: ProfilesService,
    private readonly tags: TagsService,
    private readonly cache: RedisCache,
    private readonly config: AppConfig,
  ) {}

  /** The cached, viewer-independent part of an article; ResourceNotFoundError for an unknown slug. */
  async record(slug: string): Promise<ArticleRecord> {
    const record = await this.cache.getOrLoad(keys.article(slug), this.config.CACHE_TTL_SECONDS, async () => {
      const article = await this.articles.findOne({ where: { slug }, relations: { tags: true } });
      return article ? recordOf(article) : undefined;
    });
    if (!record) throw new ResourceNotFoundError('article', slug);
    return record;
  }

  async get(slug: string, viewerId?: number): Promise<SingleArticleResponse> {
    return { article: await this.present(await this.record(slug), viewerId) };
  }

  list(query: ListArticlesQuery, viewerId?: number): Promise<MultipleArticlesResponse> {
    return this.page(query, viewerId, (q) => {
      if (query.tag) q.innerJoin('article.tags', 'wanted', 'wanted.name = :tag', { tag: query.tag });
      if (query.author) q.innerJoin('article.author', 'author', 'author.username = :author', { author: query.author });
      if (query.favorited) {
        q.andWhere((sub) => {
          const favoritedBy = sub.subQuery().select('favorite.articleId').from(Favorite, 'favorite').innerJoin(User, 'fan', 'fan.id = favorite.userId');
          return `article.id IN ${favoritedBy.where('fan.username = :favorited').getQuery()}`;
        }, { favorited: query.favorited });
      }
    });
  }

  /** Articles by the authors the viewer follows, newest first. */
  feed(query: FeedQuery, viewerId: number): Promise<MultipleArticlesResponse> {
    return this.page(query, viewerId, (q) =>
      q.andWhere((sub) => `article.authorId IN ${sub.subQuery().select('follow.followeeId').from(Follow, 'follow').where('follow.followerId = :viewerId').getQuery()}`, { viewerId }),
    );
  }

  async create(authorId: number, input: NewArticle): Promise<SingleArticleResponse> {
    const slug = slugFor(input.title);
    const names = input.tagList ?? [];
    await this.cache.invalidating([keys.article(slug), ...(names.length ? [tagCacheKeys.tagList] : [])], () =>
      this.articles.manager.transaction(async (em) => {
        const article = em.create(ConduitArticle, { slug, title: input.title, description: input.description, body: input.body, authorId });
        article.tags = await this.tags.ensure(em, names);
        await em.save(article);
      }),
    );
    return this.get(slug, authorId);
  }

  async update(viewerId: number, slug: string, changes: UpdateArticle): Promise<SingleArticleResponse> {
    if (Object.values(changes).every((value) => value === undefined)) throw new EmptyUpdateError();
    const before = await this.authoredBy(viewerId, slug);
    // The slug follows the title, so that a URL still says what it shows.
    const newSlug = changes.title !== undefined && changes.title !== before.title ? slugFor(changes.title) : slug;
    await this.cache.invalidating([...new Set([keys.article(slug), keys.article(newSlug)])], () =>
      this.articles.manager.transaction(async (em) => {
        const article = await em.findOne(ConduitArticle, { where: { id: before.id, slug }, lock: { mode: 'pessimistic_write' } });
        if (!article) throw new ResourceNotFoundError('article', slug);
        await em.save(em.merge(ConduitArticle, article, { ...definedOf(changes), slug: newSlug }));
      }),
    );
    return this.get(newSlug, viewerId);
  }

  async remove(viewerId: number, slug: string): Promise<void> {
    const before = await this.authoredBy(viewerId, slug);
    await this.cache.invalidating([keys.article(slug), tagCacheKeys.tagList, commentCacheKeys.comments(before.id)], async () => {
      const { affected } = await this.articles.delete({ id: before.id, slug });
      if (!affected) throw new ResourceNotFoundError('article', slug);
    });
  }

  async favorite(viewerId: number, slug: string): Promise<SingleArticleResponse> {
    const { id } = await this.record(slug);
    await this.cache.invalidating([keys.article(slug), keys.favorites(viewerId)], () =>
      this.articles.manager.transaction(async (em) => {
        // The article cannot be deleted under us (the insert would fail its foreign key). On PostgreSQL (FOR KEY
        // SHARE), favourites of one article do not wait for each other (the count's UPDATE takes a weaker lock).
        if (!(await em.findOne(ConduitArticle, { where: { id }, lock: referencedRowLock(em, { thenUpdates: true }) }))) throw new ResourceNotFoundError('article', slug);
        if (await insertUnlessPresent(em, Favorite, [{ userId: viewerId, articleId: id }])) await em.increment(ConduitArticle, { id }, 'favoritesCount', 1);
      }),
    );
    return this.get(slug, viewerId);
  }

  async unfavorite(viewerId: number, slug: string): Promise<SingleArticleResponse> {
    const { id } = await this.record(slug);
    await this.cache.invalidating([keys.article(slug), keys.favorites(viewerId)], () =>
      this.articles.manager.transaction(async (em) => {
        const { affected } = await em.delete(Favorite, { userId: viewerId, articleId: id });
        if (affected) await em.decrement(ConduitArticle, { id }, 'favoritesCount', 1);
      }),
    );
    return this.get(slug, viewerId);
  }

  /** The article, if `viewerId` wrote it: ResourceNotFoundError, else NotTheAuthorError. */
  private async authoredBy(viewerId: number, slug: string): Promise<ArticleRecord> {
    const record = await this.record(slug);
    if (record.authorId !== viewerId) throw new NotTheAuthorError('article');
    return record;
  }

  private async present(record: ArticleRecord, viewerId?: number): Promise<ArticleView> {
    const { id, authorId, ...shown } = record;
    const [author, favorited, following] = await Promise.all([
      this.profiles.byId(authorId),
      viewerId === undefined ? false : this.favorites.existsBy({ userId: viewerId, articleId: id }),
      viewerId === undefined ? false : this.profiles.followedAmong(viewerId, [authorId]).then((ids) => ids.has(authorId)),
    ]);
    return { ...shown, favorited, author: viewOf(author, following) };
  }

  /**
   * One page, newest first, with its count and the viewer's flags: three queries, and two more for a viewer. The
   * page's ids and the count are read on the articles and the filters alone (each matches an article once), and
   * the page's rows then with their authors and tags: counting and paging over the tag join walked every
   * article's tags (0.8 s a page at 200 000 articles).
   */
  private async page(query: FeedQuery, viewerId: number | undefined, filter: (q: SelectQueryBuilder<ConduitArticle>) => void): Promise<MultipleArticlesResponse> {
    const matching = this.articles.createQueryBuilder('article');
    filter(matching);
    const [page, counted] = await Promise.all([
      matching.clone().select('article.id', 'id').orderBy('article.id', 'DESC').offset(query.offset).limit(query.limit).getRawMany<{ id: number }>(),
      // A string on PostgreSQL (count is a bigint), a number on MariaDB.
      matching.clone().select('count(*)', 'count').getRawOne<{ count: string | number }>(),
    ]);
    const ids = page.map((row) => row.id);
    const articlesCount = Number(counted?.count ?? 0);
    const rows = ids.length ? await this.articles.find({ where: { id: In(ids) }, relations: { author: true, tags: true }, order: { id: 'DESC' } }) : [];
    const [favorited, followed] = await Promise.all([
      viewerId === undefined || !ids.length
        ? new Set<number>()
        : this.favorites.find({ select: { articleId: true }, where: { userId: viewerId, articleId: In(ids) } }).then((found) => new Set(found.map((f) => f.articleId))),
      viewerId === undefined ? new Set<number>() : this.profiles.followedAmong(viewerId, rows.map((a) => a.authorId)),
    ]);
    const articles = rows.map((article): ArticleSummary => {
      const { id, authorId, body, ...shown } = recordOf(article);
      void body; // lists carry no bodies (RealWorld's MultipleArticlesResponse)
      return { ...shown, favorited: favorited.has(id), author: viewOf(publicProfileOf(article.author), followed.has(authorId)) };
    });
    return { articles, articlesCount };
  }
}

const definedOf = <T extends object>(changes: T): Partial<T> => Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
