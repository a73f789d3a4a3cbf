import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { RedisCache } from '../../cache/redis-cache';
import { AppConfig } from '../../config/app-config';
import { ResourceNotFoundError, SelfFollowError } from '../../errors/domain-errors';
import { insertUnlessPresent, referencedRowLock } from '../portable-writes';
import { userCacheKeys } from '../users/user-cache-keys';
import { User } from '../users/user.entity';
import { ProfileResponse, PublicProfile, viewOf } from './dto/profile.dto';
import { Follow } from './follow.entity';
import { profileCacheKeys as keys } from './profile-cache-keys';

export const publicProfileOf = (user: User): PublicProfile => ({ id: user.id, username: user.username, bio: user.bio, image: user.image });

/**
 * Profiles and follows. What a profile says is cached once for everyone; whether the viewer follows the user is
 * read per request, so no entry ever carries one viewer's `following` to another.
 */
@Injectable()
export class ProfilesService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Follow) private readonly follows: Repository<Follow>,
    private readonly cache: RedisCache,
    private readonly config: AppConfig,
  ) {}

  async profile(username: string, viewerId?: number): Promise<ProfileResponse> {
    const profile = await this.byUsername(username);
    const following = viewerId === undefined ? false : (await this.followedAmong(viewerId, [profile.id])).has(profile.id);
    return { profile: viewOf(profile, following) };
  }

  async follow(viewerId: number, username: string): Promise<ProfileResponse> {
    const profile = await this.byUsername(username);
    if (profile.id === viewerId) throw new SelfFollowError();
    await this.cache.invalidating([keys.follows(viewerId)], () =>
      this.follows.manager.transaction(async (em) => {
        // The user cannot be deleted under us (the insert would fail its foreign key), nor blocked.
        if (!(await em.findOne(User, { where: { id: profile.id }, lock: referencedRowLock(em) }))) throw new ResourceNotFoundError('profile', username);
        await insertUnlessPresent(em, Follow, [{ followerId: viewerId, followeeId: profile.id }]);
      }),
    );
    return { profile: viewOf(profile, true) };
  }

  async unfollow(viewerId: number, username: string): Promise<ProfileResponse> {
    const profile = await this.byUsername(username);
    await this.cache.invalidating([keys.follows(viewerId)], () => this.follows.delete({ followerId: viewerId, followeeId: profile.id }));
    return { profile: viewOf(profile, false) };
  }

  /** A user's public profile by id (authors); ResourceNotFoundError when there is none. */
  async byId(userId: number): Promise<PublicProfile> {
    const profile = await this.cache.getOrLoad(keys.profile(userId), this.config.CACHE_TTL_SECONDS, async () => {
      const user = await this.users.findOneBy({ id: userId });
      return user ? publicProfileOf(user) : undefined;
    });
    if (!profile) throw new ResourceNotFoundError('profile', userId);
    return profile;
  }

  /** Of `userIds`, those `viewerId` follows: one query, whatever the number of authors on a page. */
  async followedAmong(viewerId: number, userIds: number[]): Promise<Set<number>> {
    if (userIds.length === 0) return new Set();
    const rows = await this.follows.find({ select: { followeeId: true }, where: { followerId: viewerId, followeeId: In([...new Set(userIds)]) } });
    return new Set(rows.map((row) => row.followeeId));
  }

  private async byUsername(username: string): Promise<PublicProfile> {
    const id = await this.cache.getOrLoad(userCacheKeys.userByUsername(username), this.config.CACHE_TTL_SECONDS, async () => {
      const user = await this.users.findOne({ select: { id: true }, where: { username } });
      return user?.id;
    });
    if (id === undefined) throw new ResourceNotFoundError('profile', username);
    return this.byId(id);
  }
}
