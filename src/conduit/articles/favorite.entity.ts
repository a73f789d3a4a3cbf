import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** `userId` favourited `articleId`. */
@Entity('conduit_favorite')
export class Favorite {
  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

  @PrimaryColumn({ name: 'article_id', type: 'integer' })
  articleId: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
