import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { RedisCache } from '../../cache/redis-cache';
import { AppConfig } from '../../config/app-config';
import { NotTheAuthorError, ResourceNotFoundError } from '../../errors/domain-errors';
import { ConduitArticle } from '../articles/conduit-article.entity';
import { ConduitArticlesService } from '../articles/conduit-articles.service';
import { viewOf } from '../profiles/dto/profile.dto';
import { referencedRowLock } from '../portable-writes';
import { ProfilesService } from '../profiles/profiles.service';
import { commentCacheKeys as keys } from './comment-cache-keys';
import { Comment } from './comment.entity';
import { CommentRecord, CommentView, MultipleCommentsResponse, NewComment, SingleCommentResponse } from './dto/comment.dto';

const recordOf = (comment: Comment): CommentRecord => ({
  id: comment.id,
  body: comment.body,
  createdAt: comment.createdAt.toISOString(),
  updatedAt: comment.updatedAt.toISOString(),
  authorId: comment.authorId,
});

/** Comments on Conduit articles: one cached list per article; authors and the viewer's `following` added per request. */
@Injectable()
export class CommentsService {
  constructor(
    @InjectRepository(Comment) private readonly comments: Repository<Comment>,
    private readonly articles: ConduitArticlesService,
    private readonly profiles: ProfilesService,
    private readonly cache: RedisCache,
    private readonly config: AppConfig,
  ) {}

  async list(slug: string, viewerId?: number): Promise<MultipleCommentsResponse> {
    const { id } = await this.articles.record(slug);
    const records = await this.cache.getOrLoad(keys.comments(id), this.config.CACHE_LIST_TTL_SECONDS, async () =>
      (await this.comments.find({ where: { articleId: id }, order: { id: 'ASC' } })).map(recordOf),
    );
    return { comments: await this.present(records, viewerId) };
  }

  async add(authorId: number, slug: string, input: NewComment): Promise<SingleCommentResponse> {
    const { id: articleId } = await this.articles.record(slug);
    const comment = await this.cache.invalidating([keys.comments(articleId)], () =>
      this.comments.manager.transaction(async (em) => {
        // The article cannot be deleted under us (the insert would fail its foreign key).
        if (!(await em.findOne(ConduitArticle, { where: { id: articleId }, lock: referencedRowLock(em) }))) throw new ResourceNotFoundError('article', slug);
        return em.save(em.create(Comment, { articleId, authorId, body: input.body }));
      }),
    );
    const [view] = await this.present([recordOf(comment)], authorId);
    return { comment: view };
  }

  async remove(viewerId: number, slug: string, commentId: number): Promise<void> {
    const { id: articleId } = await this.articles.record(slug);
    await this.cache.invalidating([keys.comments(articleId)], () =>
      this.comments.manager.transaction(async (em) => {
        const comment = await em.findOne(Comment, { where: { id: commentId, articleId }, lock: { mode: 'pessimistic_write' } });
        if (!comment) throw new ResourceNotFoundError('comment', commentId);
        if (comment.authorId !== viewerId) throw new NotTheAuthorError('comment');
        await em.delete(Comment, { id: commentId });
      }),
    );
  }

  private async present(records: CommentRecord[], viewerId?: number): Promise<CommentView[]> {
    const authorIds = [...new Set(records.map((r) => r.authorId))];
    const [authors, followed] = await Promise.all([
      Promise.all(authorIds.map((id) => this.profiles.byId(id))).then((found) => new Map(found.map((p) => [p.id, p]))),
      viewerId === undefined ? new Set<number>() : this.profiles.followedAmong(viewerId, authorIds),
    ]);
    return records.map(({ authorId, ...comment }) => ({ ...comment, author: viewOf(authors.get(authorId)!, followed.has(authorId)) }));
  }
}
