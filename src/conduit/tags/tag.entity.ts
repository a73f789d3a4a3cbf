import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A tag name, shared by the articles that carry it (conduit_article_tag). */
@Entity('conduit_tag')
export class Tag {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ type: 'varchar', length: 50 })
  name: string;
}
