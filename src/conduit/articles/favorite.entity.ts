import { CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { pointInTimeColumn } from '../../database/column-types';
import { User } from '../users/user.entity';
import { ConduitArticle } from './conduit-article.entity';

/** `userId` favourited `articleId`. */
@Entity('conduit_favorite')
@Index('conduit_favorite_article_idx', ['articleId'])
export class Favorite {
  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

  @PrimaryColumn({ name: 'article_id', type: 'integer' })
  articleId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'conduit_favorite_user_id_fkey' })
  user: User;

  @ManyToOne(() => ConduitArticle, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'article_id', foreignKeyConstraintName: 'conduit_favorite_article_id_fkey' })
  article: ConduitArticle;

  @CreateDateColumn({ name: 'created_at', ...pointInTimeColumn() })
  createdAt: Date;
}
