import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { RedisCache } from '../../cache/redis-cache';
import { AppConfig } from '../../config/app-config';
import { insertUnlessPresent } from '../portable-writes';
import { TagsResponse } from './dto/tags.dto';
import { tagCacheKeys as keys } from './tag-cache-keys';
import { Tag } from './tag.entity';

@Injectable()
export class TagsService {
  constructor(
    @InjectRepository(Tag) private readonly tags: Repository<Tag>,
    private readonly cache: RedisCache,
    private readonly config: AppConfig,
  ) {}

  /** Every tag in use, most used first: the same for every viewer, so one cached list. */
  async list(): Promise<TagsResponse> {
    const tags = await this.cache.getOrLoad(keys.tagList, this.config.CACHE_LIST_TTL_SECONDS, async () => {
      const rows = await this.tags
        .createQueryBuilder('tag')
        .innerJoin('conduit_article_tag', 'tagging', 'tagging.tag_id = tag.id')
        .select('tag.name', 'name')
        .addSelect('count(*)', 'uses')
        .groupBy('tag.id')
        .orderBy('uses', 'DESC')
        .addOrderBy('tag.name')
        .getRawMany<{ name: string }>();
      return rows.map((row) => row.name);
    });
    return { tags };
  }

  /**
   * The tags named, created where missing, inside the caller's transaction (an article's write). A name already
   * there is skipped, not an error: two articles introducing one tag at once both get it.
   */
  async ensure(em: EntityManager, names: string[]): Promise<Tag[]> {
    if (names.length === 0) return [];
    await insertUnlessPresent(em, Tag, names.map((name) => ({ name })));
    return em.findBy(Tag, { name: In(names) });
  }
}
