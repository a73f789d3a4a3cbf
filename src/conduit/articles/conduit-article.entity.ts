import { Column, CreateDateColumn, Entity, JoinColumn, JoinTable, ManyToMany, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Tag } from '../tags/tag.entity';
import { User } from '../users/user.entity';

/**
 * A Conduit article. Named when a toy `Article` entity lived beside it (TypeORM and @InjectRepository name
 * entities by their class); the toy is gone, the name stays.
 */
@Entity('conduit_article')
export class ConduitArticle {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
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
  @JoinColumn({ name: 'author_id' })
  author: User;

  @ManyToMany(() => Tag)
  @JoinTable({ name: 'conduit_article_tag', joinColumn: { name: 'article_id' }, inverseJoinColumn: { name: 'tag_id' } })
  tags: Tag[];

  /** Kept by the favorite writes (in their transaction), so that no read counts rows. */
  @Column({ name: 'favorites_count', type: 'integer', default: 0 })
  favoritesCount: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
