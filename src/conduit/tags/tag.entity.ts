import { Column, Entity, Unique } from 'typeorm';
import { GeneratedIdColumn } from '../../database/column-types';

/** A tag name, shared by the articles that carry it (conduit_article_tag). */
@Entity('conduit_tag')
@Unique('conduit_tag_name_key', ['name'])
export class Tag {
  @GeneratedIdColumn()
  id: number;

  @Column({ type: 'varchar', length: 50 })
  name: string;
}
