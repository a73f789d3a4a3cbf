import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { RedisCache } from '../../cache/redis-cache';
import { usePrimary } from '../../database/consistency';
import { Sticking } from '../../database/sticking';
import { AlreadyTakenError, EmptyUpdateError, InvalidCredentialsError, InvalidTokenError } from '../../errors/domain-errors';
import { AccessTokens } from '../auth/access-tokens';
import { profileCacheKeys } from '../profiles/profile-cache-keys';
import { violatedUniqueConstraint } from '../unique-violation';
import { LoginUser, NewUser, UpdateUser, UserResponse } from './dto/user.dto';
import { PasswordHasher } from './password-hasher';
import { userCacheKeys as keys } from './user-cache-keys';
import { User } from './user.entity';

const TAKEN: Record<string, string> = { conduit_user_email_key: 'email', conduit_user_username_key: 'username' };

/** The unique constraint is the judge of "taken" (two registrations can race past any check made before). */
function rethrowTaken(error: unknown): never {
  const field = TAKEN[violatedUniqueConstraint(error) ?? ''];
  throw field ? new AlreadyTakenError(field) : error;
}

@Injectable()
export class UsersService {
  /** Checked against on a login for an unknown email, so that it takes as long as a wrong password. */
  private readonly unknownUserHash: Promise<string>;

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly passwords: PasswordHasher,
    private readonly tokens: AccessTokens,
    private readonly cache: RedisCache,
    private readonly sticking: Sticking,
  ) {
    this.unknownUserHash = passwords.hash(randomUUID());
  }

  async register(input: NewUser): Promise<UserResponse> {
    const passwordHash = await this.passwords.hash(input.password);
    const user = await this.cache
      .invalidating([keys.userByEmail(input.email), keys.userByUsername(input.username)], () =>
        this.users.save(this.users.create({ email: input.email, username: input.username, passwordHash, bio: '', image: '' })),
      )
      .catch(rethrowTaken);
    // The client keeps only the JWT it gets now: its next requests, through any app server, see this write.
    await this.sticking.stickTo(`user:${user.id}`);
    return this.present(user);
  }

  async login(credentials: LoginUser): Promise<UserResponse> {
    const user = await this.userWithPassword(credentials.email, credentials.password);
    if (!user) throw new InvalidCredentialsError();
    return this.present(user);
  }

  /** Read again rather than taken from the guard, which runs before the route's @Consistency applies. */
  async current(viewer: User): Promise<UserResponse> {
    const user = await this.users.findOneBy({ id: viewer.id });
    if (!user) throw new InvalidTokenError();
    return this.present(user);
  }

  async update(viewer: User, changes: UpdateUser): Promise<UserResponse> {
    if (Object.values(changes).every((value) => value === undefined)) throw new EmptyUpdateError();
    const patch: Partial<User> = {
      email: changes.email,
      username: changes.username,
      bio: changes.bio === null ? '' : changes.bio,
      image: changes.image === null ? '' : changes.image,
      passwordHash: changes.password === undefined ? undefined : await this.passwords.hash(changes.password),
    };
    // The keys to close are those of the names the user has now: read them where they are sure to be current.
    const before = await usePrimary(() => this.users.findOneBy({ id: viewer.id }));
    if (!before) throw new InvalidTokenError();
    const names = [before, { email: changes.email ?? before.email, username: changes.username ?? before.username }];
    const changed = [...new Set(names.flatMap((n) => [keys.userByEmail(n.email), keys.userByUsername(n.username)])), profileCacheKeys.profile(viewer.id)];
    const user = await this.cache
      .invalidating(changed, () =>
        this.users.manager.transaction(async (em) => {
          const current = await em.findOne(User, { where: { id: viewer.id }, lock: { mode: 'pessimistic_write' } });
          if (!current) throw new InvalidTokenError();
          return em.save(User, em.merge(User, current, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))));
        }),
      )
      .catch(rethrowTaken);
    return this.present(user);
  }

  private async userWithPassword(email: string, password: string): Promise<User | undefined> {
    // A registration or a password change a moment ago (by this client or not): the lookup sees it.
    await this.cache.seeWritesTo(keys.userByEmail(email));
    const found = await this.users.findOneBy({ email });
    // The same work whether the user exists or not: the answer's timing names no accounts.
    const valid = await this.passwords.verify(password, found?.passwordHash ?? (await this.unknownUserHash));
    return found && valid ? found : undefined;
  }

  private async present(user: User): Promise<UserResponse> {
    return { user: { email: user.email, token: await this.tokens.issue(user.id), username: user.username, bio: user.bio, image: user.image } };
  }
}
