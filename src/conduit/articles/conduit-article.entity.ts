import { Column, CreateDateColumn, Entity, Index, JoinColumn, JoinTable, ManyToMany, ManyToOne, Unique, UpdateDateColumn } from 'typeorm';
import { GeneratedIdColumn, pointInTimeColumn } from '../../database/column-types';
import { Tag } from '../tags/tag.entity';
import { User } from '../users/user.entity';

/**
 * A Conduit article. Named when a toy `Article` entity lived beside it (TypeORM and @InjectRepository name
 * entities by their class); the toy is gone, the name stays.
 */
@Entity('conduit_article')
@Unique('conduit_article_slug_key', ['slug'])
// Lists are newest first (id order); the author filter and the feed walk this index (author_id, id DESC).
@Index('conduit_article_author_idx', ['authorId', 'id'])
export class ConduitArticle {
  @GeneratedIdColumn()
  id: number;

  @Column({ type: 'varchar', length: 120 })
  slug: string;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'varchar', length: 1000 })
  description: string;

  @Column({ type: 'text' })
  body: string;

  @Column({ name: 'author_id', type: 'integer' })
  authorId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'author_id', foreignKeyConstraintName: 'conduit_article_author_id_fkey' })
  author: User;

  /**
   * conduit_article_tag is the migrations' alone (`synchronize: false`): TypeORM would want an index of its own
   * on each column, under names it makes up, where the primary key (article_id, tag_id) and
   * conduit_article_tag_tag_idx serve both lookups already.
   */
  @ManyToMany(() => Tag)
  @JoinTable({ name: 'conduit_article_tag', joinColumn: { name: 'article_id' }, inverseJoinColumn: { name: 'tag_id' }, synchronize: false })
  tags: Tag[];

  /** Kept by the favorite writes (in their transaction), so that no read counts rows. */
  @Column({ name: 'favorites_count', type: 'integer', default: 0 })
  favoritesCount: number;

  @CreateDateColumn({ name: 'created_at', ...pointInTimeColumn() })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', ...pointInTimeColumn() })
  updatedAt: Date;
}
