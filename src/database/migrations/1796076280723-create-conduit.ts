import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Conduit (RealWorld) example's tables, prefixed `conduit_` beside the toy `article` table. Written with
 * IF NOT EXISTS throughout: the migrate job runs it under its advisory lock, and a job that finds the tables
 * (made by hand, or by a run whose bookkeeping row was lost) completes instead of failing the deploy.
 */
export class CreateConduit1796076280723 implements MigrationInterface {
  name = 'CreateConduit1796076280723';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_user (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email varchar(254) NOT NULL CONSTRAINT conduit_user_email_key UNIQUE,
        username varchar(40) NOT NULL CONSTRAINT conduit_user_username_key UNIQUE,
        password_hash text NOT NULL,
        bio text NOT NULL DEFAULT '',
        image varchar(2048) NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_follow (
        follower_id integer NOT NULL REFERENCES conduit_user (id) ON DELETE CASCADE,
        followee_id integer NOT NULL REFERENCES conduit_user (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (follower_id, followee_id),
        CONSTRAINT conduit_follow_not_self CHECK (follower_id <> followee_id)
      )`);
    await queryRunner.query('CREATE INDEX IF NOT EXISTS conduit_follow_followee_idx ON conduit_follow (followee_id)');
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_article (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        slug varchar(120) NOT NULL CONSTRAINT conduit_article_slug_key UNIQUE,
        title varchar(200) NOT NULL,
        description varchar(1000) NOT NULL,
        body text NOT NULL,
        author_id integer NOT NULL REFERENCES conduit_user (id) ON DELETE CASCADE,
        favorites_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Lists are newest first (id order); the author filter and the feed walk this index.
    await queryRunner.query('CREATE INDEX IF NOT EXISTS conduit_article_author_idx ON conduit_article (author_id, id DESC)');
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_tag (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name varchar(50) NOT NULL CONSTRAINT conduit_tag_name_key UNIQUE
      )`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_article_tag (
        article_id integer NOT NULL REFERENCES conduit_article (id) ON DELETE CASCADE,
        tag_id integer NOT NULL REFERENCES conduit_tag (id) ON DELETE CASCADE,
        PRIMARY KEY (article_id, tag_id)
      )`);
    await queryRunner.query('CREATE INDEX IF NOT EXISTS conduit_article_tag_tag_idx ON conduit_article_tag (tag_id)');
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_favorite (
        user_id integer NOT NULL REFERENCES conduit_user (id) ON DELETE CASCADE,
        article_id integer NOT NULL REFERENCES conduit_article (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, article_id)
      )`);
    await queryRunner.query('CREATE INDEX IF NOT EXISTS conduit_favorite_article_idx ON conduit_favorite (article_id)');
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_comment (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        article_id integer NOT NULL REFERENCES conduit_article (id) ON DELETE CASCADE,
        author_id integer NOT NULL REFERENCES conduit_user (id) ON DELETE CASCADE,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query('CREATE INDEX IF NOT EXISTS conduit_comment_article_idx ON conduit_comment (article_id, id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['conduit_comment', 'conduit_favorite', 'conduit_article_tag', 'conduit_tag', 'conduit_article', 'conduit_follow', 'conduit_user']) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
