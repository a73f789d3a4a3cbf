/**
 * Demo data (`npm run stack -- seed`, or `node dist/seed.js` with the app's settings), written on the primary;
 * safe to run again: sample articles for the toy module when its table is empty, and a small Conduit world
 * (users, follows, tagged articles, favourites, comments) when its demo users do not exist yet.
 */
import { EntityManager } from 'typeorm';
import { Article } from './articles/article.entity';
import { ConduitArticle } from './conduit/articles/conduit-article.entity';
import { Favorite } from './conduit/articles/favorite.entity';
import { slugFor } from './conduit/articles/slug';
import { Comment } from './conduit/comments/comment.entity';
import { Follow } from './conduit/profiles/follow.entity';
import { Tag } from './conduit/tags/tag.entity';
import { PasswordHasher } from './conduit/users/password-hasher';
import { User } from './conduit/users/user.entity';
import { AppConfig } from './config/app-config';
import { primaryDataSource } from './database/primary-locator';

const SAMPLES = 50;

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

async function seedToyArticles(em: EntityManager): Promise<number> {
  if ((await em.count(Article)) > 0) return 0;
  const drafts = Array.from({ length: SAMPLES }, (_, i) => ({
    title: `Sample article ${i + 1}`,
    body: `Written to db-primary, replicated to every replica. Sample ${i + 1} of ${SAMPLES}.`,
  }));
  await em.insert(Article, drafts);
  return drafts.length;
}

async function seedConduit(em: EntityManager): Promise<number> {
  if (await em.existsBy(User, { username: DEMO_USERS[0].username })) return 0;
  const passwords = new PasswordHasher();
  const users = new Map<string, User>();
  for (const demo of DEMO_USERS) {
    users.set(demo.username, await em.save(em.create(User, { ...demo, image: '', passwordHash: await passwords.hash(DEMO_PASSWORD) })));
  }
  const id = (username: string) => users.get(username)!.id;
  await em.insert(Follow, DEMO_FOLLOWS.map(([follower, followee]) => ({ followerId: id(follower), followeeId: id(followee) })));
  await em.createQueryBuilder().insert().into(Tag).values([...new Set(DEMO_ARTICLES.flatMap((a) => a.tags))].map((name) => ({ name }))).orIgnore().execute();
  const tags = new Map((await em.find(Tag)).map((tag) => [tag.name, tag]));
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
  }
  return DEMO_ARTICLES.length;
}

async function seed(config: AppConfig): Promise<{ toy: number; conduit: number }> {
  const dataSource = await primaryDataSource(config, 'seed', { entities: [Article, User, Follow, Tag, ConduitArticle, Favorite, Comment] });
  try {
    // One transaction for both: a failed run leaves nothing half-written, so the next one starts over.
    return await dataSource.transaction(async (em) => ({ toy: await seedToyArticles(em), conduit: await seedConduit(em) }));
  } finally {
    await dataSource.destroy();
  }
}

seed(AppConfig.fromEnv(process.env))
  .then(({ toy, conduit }) => {
    console.log(toy ? `seed: inserted ${toy} articles` : 'seed: articles exist already; nothing to do');
    console.log(conduit ? `seed: inserted the Conduit demo (${conduit} articles; users ada, grace, linus, password ${DEMO_PASSWORD})` : 'seed: the Conduit demo exists already; nothing to do');
  })
  .catch((error: Error) => {
    console.error(`seed: failed: ${error.message}`);
    process.exit(1);
  });
