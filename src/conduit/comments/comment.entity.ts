import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, UpdateDateColumn } from 'typeorm';
import { GeneratedIdColumn, pointInTimeColumn } from '../../database/column-types';
import { ConduitArticle } from '../articles/conduit-article.entity';
import { User } from '../users/user.entity';

@Entity('conduit_comment')
@Index('conduit_comment_article_idx', ['articleId', 'id'])
export class Comment {
  @GeneratedIdColumn()
  id: number;

  @Column({ name: 'article_id', type: 'integer' })
  articleId: number;

  @Column({ name: 'author_id', type: 'integer' })
  authorId: number;

  @ManyToOne(() => ConduitArticle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'article_id', foreignKeyConstraintName: 'conduit_comment_article_id_fkey' })
  article: ConduitArticle;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'author_id', foreignKeyConstraintName: 'conduit_comment_author_id_fkey' })
  author: User;

  @Column({ type: 'text' })
  body: string;

  @CreateDateColumn({ name: 'created_at', ...pointInTimeColumn() })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', ...pointInTimeColumn() })
  updatedAt: Date;
}
