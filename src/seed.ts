/**
 * Demo data (`npm run stack -- seed`, or `node dist/seed.js` with the app's settings), written on the primary;
 * safe to run again: a small Conduit world (users, follows, tagged articles, favourites, comments) when its
 * demo users do not exist yet.
 */
import { EntityManager } from 'typeorm';
import { ConduitArticle } from './conduit/articles/conduit-article.entity';
import { Favorite } from './conduit/articles/favorite.entity';
import { slugFor } from './conduit/articles/slug';
import { Comment } from './conduit/comments/comment.entity';
import { CONDUIT_ENTITIES } from './conduit/conduit-entities';
import { insertUnlessPresent } from './conduit/portable-writes';
import { Follow } from './conduit/profiles/follow.entity';
import { Tag } from './conduit/tags/tag.entity';
import { PasswordHasher } from './conduit/users/password-hasher';
import { User } from './conduit/users/user.entity';
import { AppConfig } from './config/app-config';
import { primaryDataSource } from './database/primary-locator';

/** The Conduit demo users all sign in with this password (a demo, like the stack's other dev values). */
const DEMO_PASSWORD = 'conduit-demo';
const DEMO_USERS = [
  { username: 'ada', email: 'ada@example.test', bio: 'Writes to the primary.' },
  { username: 'grace', email: 'grace@example.test', bio: 'Reads from replicas.' },
  { username: 'linus', email: 'linus@example.test', bio: 'Follows everyone.' },
];
const DEMO_ARTICLES = [
  { author: 'ada', title: 'Read your writes', tags: ['replication', 'consistency'], favoritedBy: ['grace', 'linus'] },
  { author: 'ada', title: 'Why replicas lag', tags: ['replication', 'postgresql'], favoritedBy: ['linus'] },
  { author: 'grace', title: 'Caching without stale reads', tags: ['cache', 'consistency'], favoritedBy: ['ada'] },
  { author: 'grace', title: 'A tour of the stack', tags: ['nginx', 'dns'], favoritedBy: [] },
];
const DEMO_FOLLOWS = [
  ['linus', 'ada'],
  ['linus', 'grace'],
  ['grace', 'ada'],
];

/** What one run wrote: counts of each kind, and the articles' slugs (their suffixes are random). */
interface Loaded {
  users: number;
  follows: number;
  tags: number;
  articles: string[];
  favourites: number;
  comments: number;
}

/** The demo, or undefined when its users exist already. */
async function seedConduit(em: EntityManager): Promise<Loaded | undefined> {
  if (await em.existsBy(User, { username: DEMO_USERS[0].username })) return undefined;
  const passwords = new PasswordHasher();
  const users = new Map<string, User>();
  for (const demo of DEMO_USERS) {
    users.set(demo.username, await em.save(em.create(User, { ...demo, image: '', passwordHash: await passwords.hash(DEMO_PASSWORD) })));
  }
  const id = (username: string) => users.get(username)!.id;
  await em.insert(Follow, DEMO_FOLLOWS.map(([follower, followee]) => ({ followerId: id(follower), followeeId: id(followee) })));
  await insertUnlessPresent(em, Tag, [...new Set(DEMO_ARTICLES.flatMap((a) => a.tags))].map((name) => ({ name })));
  const tags = new Map((await em.find(Tag)).map((tag) => [tag.name, tag]));
  const slugs: string[] = [];
  for (const demo of DEMO_ARTICLES) {
    const article = await em.save(
      em.create(ConduitArticle, {
        slug: slugFor(demo.title),
        title: demo.title,
        description: `${demo.title}, in one line.`,
        body: `${demo.title}: a demo article of the Conduit example, written by ${demo.author}.`,
        authorId: id(demo.author),
        favoritesCount: demo.favoritedBy.length,
        tags: demo.tags.map((name) => tags.get(name)!),
      }),
    );
    if (demo.favoritedBy.length) await em.insert(Favorite, demo.favoritedBy.map((fan) => ({ userId: id(fan), articleId: article.id })));
    await em.insert(Comment, { articleId: article.id, authorId: id(demo.author === 'ada' ? 'grace' : 'ada'), body: `Thanks, ${demo.author}!` });
    slugs.push(article.slug);
  }
  return {
    users: DEMO_USERS.length,
    follows: DEMO_FOLLOWS.length,
    tags: new Set(DEMO_ARTICLES.flatMap((a) => a.tags)).size,
    articles: slugs,
    favourites: DEMO_ARTICLES.reduce((n, a) => n + a.favoritedBy.length, 0),
    comments: DEMO_ARTICLES.length,
  };
}

export async function seed(config: AppConfig): Promise<Loaded | undefined> {
  const dataSource = await primaryDataSource(config, 'seed', { entities: CONDUIT_ENTITIES });
  try {
    // One transaction: a failed run leaves nothing half-written, so the next one starts over.
    return await dataSource.transaction(seedConduit);
  } finally {
    await dataSource.destroy();
  }
}

const SIGN_IN = `${DEMO_USERS.map((u) => u.username).join(', ')}; password ${DEMO_PASSWORD}`;

if (require.main === module) {
  seed(AppConfig.fromEnv(process.env))
    .then((loaded) => {
      if (!loaded) return console.log(`seed: the Conduit demo is there already (users ${SIGN_IN}); nothing to do`);
      console.log(
        `seed: loaded the Conduit demo: ${loaded.users} users (${SIGN_IN}), ${loaded.follows} follows, ${loaded.tags} tags, ` +
          `${loaded.articles.length} articles, ${loaded.favourites} favourites, ${loaded.comments} comments`,
      );
      console.log(`seed: the articles: ${loaded.articles.map((slug) => `/api/articles/${slug}`).join(' ')}`);
    })
    .catch((error: Error) => {
      console.error(`seed: failed: ${error.message}`);
      process.exit(1);
    });
}
