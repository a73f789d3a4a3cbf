import './entities-for-mariadb';
import { createConnection } from 'mysql2/promise';
import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { RedisCache } from '../../src/cache/redis-cache';
import { ConduitArticle } from '../../src/conduit/articles/conduit-article.entity';
import { ConduitArticlesService } from '../../src/conduit/articles/conduit-articles.service';
import { Favorite } from '../../src/conduit/articles/favorite.entity';
import { AccessTokens } from '../../src/conduit/auth/access-tokens';
import { Comment } from '../../src/conduit/comments/comment.entity';
import { CommentsService } from '../../src/conduit/comments/comments.service';
import { CONDUIT_ENTITIES } from '../../src/conduit/conduit-entities';
import { Follow } from '../../src/conduit/profiles/follow.entity';
import { ProfilesService } from '../../src/conduit/profiles/profiles.service';
import { ReportsService } from '../../src/conduit/reports/reports.service';
import { Tag } from '../../src/conduit/tags/tag.entity';
import { TagsService } from '../../src/conduit/tags/tags.service';
import { PasswordHasher } from '../../src/conduit/users/password-hasher';
import { User } from '../../src/conduit/users/user.entity';
import { UsersService } from '../../src/conduit/users/users.service';
import { AppConfig } from '../../src/config/app-config';
import { migrate } from '../../src/database/migrate';
import { MARIADB_MIGRATIONS } from '../../src/database/migrations';
import { primaryDataSource } from '../../src/database/primary-locator';
import { Sticking } from '../../src/database/sticking';
import { AlreadyTakenError } from '../../src/errors/domain-errors';
import { seed } from '../../src/seed';
import {
  createUsers,
  gtidPrimary,
  gtidReplicas,
  MARIADB_DIR,
  MARIADB_PORT,
  mariadbCredentials,
  namespacesLeft,
  removeMariaDbNodes,
  replicateFrom,
  sql,
  startMariaDbNodes,
  waitForReplication,
} from '../../stack/native/mariadb';
import { waitFor } from '../../stack/native/shell';

/**
 * The Conduit schema on MariaDB (issue 13): the migrate job and the seed, run as `npm run migrate` and `npm run
 * seed` run them, with the app's settings, against the GTID harness's primary and two read_only replicas.
 */
const nodes = [gtidPrimary, ...gtidReplicas];
const { app } = mariadbCredentials;
const asApp = { as: app, database: app.database };
const CONDUIT_TABLES = ['conduit_article', 'conduit_article_tag', 'conduit_comment', 'conduit_favorite', 'conduit_follow', 'conduit_tag', 'conduit_user'];

/** The jobs' settings, as their environment gives them: the harness's addresses, the app's user. */
const env = (): NodeJS.ProcessEnv => ({
  DB_DIALECT: 'mariadb',
  DB_PORT: String(MARIADB_PORT),
  // The replica first: the jobs find the writable node whatever the order.
  DB_PRIMARY_HOST: gtidReplicas[0].address,
  DB_REPLICA_HOSTS: [gtidPrimary.address, gtidReplicas[1].address].join(','),
  DB_NAME: app.database,
  DB_USER: app.user,
  DB_PASSWORD: app.password,
});

const counts = async (node: (typeof nodes)[number]) =>
  Object.fromEntries(
    await Promise.all(CONDUIT_TABLES.map(async (table) => [table, Number((await sql(node, `SELECT COUNT(*) FROM ${table}`, asApp))[0][0])])),
  );

describe('The Conduit schema on MariaDB: the migrate job and the seed over a GTID primary and two replicas', () => {
  let config: AppConfig;

  beforeAll(async () => {
    await removeMariaDbNodes(nodes); // what a crashed run left behind
    await startMariaDbNodes(nodes);
    await Promise.all(nodes.map((node) => createUsers(node)));
    await Promise.all(gtidReplicas.map((replica) => replicateFrom(replica, gtidPrimary)));
    await waitForReplication(gtidReplicas);
    config = AppConfig.fromEnv(env());
  }, 180_000);

  afterAll(async () => {
    await removeMariaDbNodes(nodes);

    expect(namespacesLeft(nodes)).toEqual([]);
    expect(existsSync(MARIADB_DIR)).toBe(false);
  }, 120_000);

  it("should apply MariaDB's migrations on the primary, and the replicas should have the tables", async () => {
    const applied = await migrate(config);

    expect(applied).toEqual(MARIADB_MIGRATIONS.map((m) => m.name));
    for (const node of nodes) {
      await waitFor(`${node.name} has the Conduit tables`, async () => {
        const tables = await sql(node, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'app' AND table_name LIKE 'conduit%' ORDER BY table_name", asApp);
        return tables.map(([name]) => name).join() === CONDUIT_TABLES.join();
      });
      expect((await sql(node, 'SELECT name FROM migrations', asApp)).map(([name]) => name)).toEqual(applied);
    }
  });

  it('should apply nothing on a second run', async () => {
    expect(await migrate(config)).toEqual([]);
  });

  it('should make a run wait while another holds the lock, and let two concurrent runs apply each migration once', async () => {
    await sql(gtidPrimary, "CREATE DATABASE migrate_race; GRANT ALL ON migrate_race.* TO 'app'@'%'");
    const race = AppConfig.fromEnv({ ...env(), DB_NAME: 'migrate_race' });
    const holder = await createConnection({ host: gtidPrimary.address, port: MARIADB_PORT, user: app.user, password: app.password, database: 'migrate_race' });
    const migrationTables = async () => Number((await sql(gtidPrimary, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'migrate_race'"))[0][0]);
    try {
      await holder.query("SELECT GET_LOCK('migrate:migrate_race', 0)");
      const runs = Promise.all([migrate(race), migrate(race)]);
      await new Promise((resolve) => setTimeout(resolve, 1500));

      expect(await migrationTables()).toBe(0);
      await holder.query("SELECT RELEASE_LOCK('migrate:migrate_race')");
      expect((await runs).map((applied) => applied.length).sort()).toEqual([0, MARIADB_MIGRATIONS.length]);
      expect((await sql(gtidPrimary, 'SELECT name FROM migrations', { as: app, database: 'migrate_race' })).map(([name]) => name)).toEqual(MARIADB_MIGRATIONS.map((m) => m.name));
    } finally {
      await holder.end();
      await sql(gtidPrimary, 'DROP DATABASE IF EXISTS migrate_race');
    }
  });

  it('should find no difference between the Conduit entities and the migrated schema', async () => {
    const dataSource = await primaryDataSource(config, 'schema-check', { entities: CONDUIT_ENTITIES });
    try {
      const { upQueries } = await dataSource.driver.createSchemaBuilder().log();

      expect(upQueries.map((query) => query.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('should seed the demo once: a second run writes nothing, and the replicas have the same rows', async () => {
    const first = await seed(config);
    const afterFirst = await counts(gtidPrimary);
    const second = await seed(config);

    expect(first?.users).toBe(3);
    expect(afterFirst).toEqual({ conduit_article: 4, conduit_article_tag: 8, conduit_comment: 4, conduit_favorite: 4, conduit_follow: 3, conduit_tag: 6, conduit_user: 3 });
    expect(second).toBeUndefined();
    expect(await counts(gtidPrimary)).toEqual(afterFirst);
    for (const replica of gtidReplicas) await waitFor(`${replica.name} has the demo`, async () => JSON.stringify(await counts(replica)) === JSON.stringify(afterFirst));
    // created_at holds UTC: within a minute of now, read as UTC.
    const [[age]] = await sql(gtidPrimary, "SELECT ABS(TIMESTAMPDIFF(SECOND, MIN(created_at), UTC_TIMESTAMP(6))) FROM conduit_user", asApp);
    expect(Number(age)).toBeLessThan(60);
  });

  describe("the Conduit services' SQL on MariaDB (no cache: every read reaches the database)", () => {
    let dataSource: DataSource;
    let users: UsersService;
    let profiles: ProfilesService;
    let articles: ConduitArticlesService;
    let comments: CommentsService;
    let tags: TagsService;
    let reports: ReportsService;

    beforeAll(async () => {
      dataSource = await primaryDataSource(config, 'services-check', { entities: CONDUIT_ENTITIES });
      const cache = {
        getOrLoad: <T>(_key: string, _ttl: number, load: () => Promise<T>) => load(),
        invalidating: <T>(_keys: string[], write: () => Promise<T>) => write(),
        seeWritesTo: async () => undefined,
      } as unknown as RedisCache;
      const sticking = { stickTo: async () => undefined } as unknown as Sticking;
      const tokens = { issue: async (id: number) => `token-${id}` } as unknown as AccessTokens;
      const repo = dataSource.getRepository.bind(dataSource);
      profiles = new ProfilesService(repo(User), repo(Follow), cache, config);
      tags = new TagsService(repo(Tag), cache, config);
      articles = new ConduitArticlesService(repo(ConduitArticle), repo(Favorite), profiles, tags, cache, config);
      comments = new CommentsService(repo(Comment), articles, profiles, cache, config);
      users = new UsersService(repo(User), new PasswordHasher(), tokens, cache, sticking);
      reports = new ReportsService(repo(ConduitArticle), repo(Comment), repo(Favorite), repo(User));
    });

    afterAll(async () => {
      await dataSource?.destroy();
    });

    it('should answer "already taken" for an email or a username in use (ER_DUP_ENTRY names the key)', async () => {
      await users.register({ username: 'Mira', email: 'mira@example.test', password: 'password-1' });

      await expect(users.register({ username: 'other', email: 'mira@example.test', password: 'password-1' })).rejects.toEqual(new AlreadyTakenError('email'));
      await expect(users.register({ username: 'Mira', email: 'other@example.test', password: 'password-1' })).rejects.toEqual(new AlreadyTakenError('username'));
      // Compared as PostgreSQL compares: case and trailing blanks make another name.
      await expect(users.register({ username: 'mira', email: 'mira2@example.test', password: 'password-1' })).resolves.toBeDefined();
    });

    it('should create articles with tags, favourite them once however often asked, and list, filter and count them', async () => {
      const mira = (await dataSource.getRepository(User).findOneByOrFail({ username: 'Mira' })).id;
      const ada = (await dataSource.getRepository(User).findOneByOrFail({ username: 'ada' })).id;
      const { article } = await articles.create(mira, { title: 'On MariaDB', description: 'd', body: 'b', tagList: ['mariadb', 'Replication', 'replication'] });
      await articles.create(mira, { title: 'Second', description: 'd', body: 'b', tagList: ['mariadb'] });

      await articles.favorite(ada, article.slug);
      const favourited = await articles.favorite(ada, article.slug);
      const byTag = await articles.list({ offset: 0, limit: 1, tag: 'mariadb' }, ada);
      const byFan = await articles.list({ offset: 0, limit: 20, favorited: 'ada' }, ada);
      await profiles.follow(ada, 'Mira');
      await profiles.follow(ada, 'Mira');
      const feed = await articles.feed({ offset: 0, limit: 20 }, ada);
      const unfavourited = await articles.unfavorite(ada, article.slug);

      expect(article.tagList).toEqual(['Replication', 'mariadb', 'replication']);
      expect(favourited.article).toMatchObject({ favorited: true, favoritesCount: 1 });
      expect(byTag.articlesCount).toBe(2);
      expect(byTag.articles.map((a) => a.title)).toEqual(['Second']);
      expect(byFan.articles.map((a) => a.title)).toEqual(['On MariaDB', 'Caching without stale reads']);
      expect(feed.articlesCount).toBe(2);
      expect(feed.articles.every((a) => a.author.following)).toBe(true);
      expect(unfavourited.article).toMatchObject({ favorited: false, favoritesCount: 0 });
      // Most used first (replication: 3), then by name among equals (2 each).
      expect((await tags.list()).tags.slice(0, 3)).toEqual(['replication', 'consistency', 'mariadb']);
    });

    it('should add comments, and count the month in the monthly report (UTC)', async () => {
      const mira = (await dataSource.getRepository(User).findOneByOrFail({ username: 'Mira' })).id;
      const [{ slug }] = (await articles.list({ offset: 0, limit: 1, author: 'Mira' })).articles;

      const { comment } = await comments.add(mira, slug, { body: 'first' });
      const report = await reports.monthly(2);

      expect(Math.abs(Date.parse(comment.createdAt) - Date.now())).toBeLessThan(60_000);
      expect(report.months[1]).toEqual({ month: new Date().toISOString().slice(0, 7), articles: 6, activeAuthors: 3, comments: 5, favorites: 4, newUsers: 5 });
    });
  });
});
