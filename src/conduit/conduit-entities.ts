import { ConduitArticle } from './articles/conduit-article.entity';
import { Favorite } from './articles/favorite.entity';
import { Comment } from './comments/comment.entity';
import { Follow } from './profiles/follow.entity';
import { Tag } from './tags/tag.entity';
import { User } from './users/user.entity';

/** Every entity of the Conduit domain: what the seed writes, and what the migrations' schema must match. */
export const CONDUIT_ENTITIES = [User, Follow, Tag, ConduitArticle, Favorite, Comment];
