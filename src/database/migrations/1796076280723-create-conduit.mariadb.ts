import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every table: InnoDB (transactions, foreign keys), utf8mb4 (all of Unicode; MariaDB's `utf8` stops at three
 * bytes), and utf8mb4_nopad_bin, which compares as PostgreSQL does: a case-insensitive collation would make
 * `Cache` and `cache` one tag and one username, and a PAD SPACE one `a` and `a ` one slug.
 */
const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin';

/** A point in time, as the entities declare it on MariaDB (pointInTimeColumn): microseconds, UTC. */
const CREATED_AT = 'created_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)';
const UPDATED_AT = 'updated_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)';

/**
 * The Conduit tables on MariaDB: CreateConduit1796076280723's schema, the same constraint and index names, in
 * MariaDB's SQL. A database that starts on MariaDB never had the toy `article` table, so this is the whole
 * history (MARIADB_MIGRATIONS). Written with IF NOT EXISTS throughout, as PostgreSQL's: a job that finds the
 * tables completes. MariaDB commits each CREATE TABLE on its own (DDL is not transactional there).
 *
 * Foreign keys say ON UPDATE NO ACTION, PostgreSQL's default: MariaDB's own (RESTRICT, which InnoDB enforces the
 * same way) is a difference to TypeORM, which compares the rule's name.
 *
 * InnoDB needs an index on each foreign key's columns: PostgreSQL's indexes serve all of them but
 * conduit_comment_author_id_fkey's, for which InnoDB makes one of that name (TypeORM leaves such an index alone).
 */
export class CreateConduitMariaDb1796076280723 implements MigrationInterface {
  name = 'CreateConduitMariaDb1796076280723';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_user (
        id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
        email varchar(254) NOT NULL,
        username varchar(40) NOT NULL,
        password_hash text NOT NULL,
        bio text NOT NULL DEFAULT '',
        image varchar(2048) NOT NULL DEFAULT '',
        ${CREATED_AT},
        ${UPDATED_AT},
        CONSTRAINT conduit_user_email_key UNIQUE (email),
        CONSTRAINT conduit_user_username_key UNIQUE (username)
      ) ${TABLE_OPTIONS}`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_follow (
        follower_id int NOT NULL,
        followee_id int NOT NULL,
        ${CREATED_AT},
        PRIMARY KEY (follower_id, followee_id),
        INDEX conduit_follow_followee_idx (followee_id),
        CONSTRAINT conduit_follow_follower_id_fkey FOREIGN KEY (follower_id) REFERENCES conduit_user (id) ON DELETE CASCADE ON UPDATE NO ACTION,
        CONSTRAINT conduit_follow_followee_id_fkey FOREIGN KEY (followee_id) REFERENCES conduit_user (id) ON DELETE CASCADE ON UPDATE NO ACTION,
        CONSTRAINT conduit_follow_not_self CHECK (follower_id <> followee_id)
      ) ${TABLE_OPTIONS}`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_article (
        id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
        slug varchar(120) NOT NULL,
        title varchar(200) NOT NULL,
        description varchar(1000) NOT NULL,
        body text NOT NULL,
        author_id int NOT NULL,
        favorites_count int NOT NULL DEFAULT 0,
        ${CREATED_AT},
        ${UPDATED_AT},
        CONSTRAINT conduit_article_slug_key UNIQUE (slug),
        -- Lists are newest first (id order); the author filter and the feed walk this index.
        INDEX conduit_article_author_idx (author_id, id DESC),
        CONSTRAINT conduit_article_author_id_fkey FOREIGN KEY (author_id) REFERENCES conduit_user (id) ON DELETE CASCADE ON UPDATE NO ACTION
      ) ${TABLE_OPTIONS}`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_tag (
        id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name varchar(50) NOT NULL,
        CONSTRAINT conduit_tag_name_key UNIQUE (name)
      ) ${TABLE_OPTIONS}`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_article_tag (
        article_id int NOT NULL,
        tag_id int NOT NULL,
        PRIMARY KEY (article_id, tag_id),
        INDEX conduit_article_tag_tag_idx (tag_id),
        CONSTRAINT conduit_article_tag_article_id_fkey FOREIGN KEY (article_id) REFERENCES conduit_article (id) ON DELETE CASCADE ON UPDATE NO ACTION,
        CONSTRAINT conduit_article_tag_tag_id_fkey FOREIGN KEY (tag_id) REFERENCES conduit_tag (id) ON DELETE CASCADE ON UPDATE NO ACTION
      ) ${TABLE_OPTIONS}`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_favorite (
        user_id int NOT NULL,
        article_id int NOT NULL,
        ${CREATED_AT},
        PRIMARY KEY (user_id, article_id),
        INDEX conduit_favorite_article_idx (article_id),
        CONSTRAINT conduit_favorite_user_id_fkey FOREIGN KEY (user_id) REFERENCES conduit_user (id) ON DELETE CASCADE ON UPDATE NO ACTION,
        CONSTRAINT conduit_favorite_article_id_fkey FOREIGN KEY (article_id) REFERENCES conduit_article (id) ON DELETE CASCADE ON UPDATE NO ACTION
      ) ${TABLE_OPTIONS}`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS conduit_comment (
        id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
        article_id int NOT NULL,
        author_id int NOT NULL,
        body text NOT NULL,
        ${CREATED_AT},
        ${UPDATED_AT},
        INDEX conduit_comment_article_idx (article_id, id),
        CONSTRAINT conduit_comment_article_id_fkey FOREIGN KEY (article_id) REFERENCES conduit_article (id) ON DELETE CASCADE ON UPDATE NO ACTION,
        CONSTRAINT conduit_comment_author_id_fkey FOREIGN KEY (author_id) REFERENCES conduit_user (id) ON DELETE CASCADE ON UPDATE NO ACTION
      ) ${TABLE_OPTIONS}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['conduit_comment', 'conduit_favorite', 'conduit_article_tag', 'conduit_tag', 'conduit_article', 'conduit_follow', 'conduit_user']) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
