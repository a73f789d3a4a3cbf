import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The toy `articles` module is gone (Conduit is the one example domain): its table goes with it. IF EXISTS, as
 * the Conduit migration's statements: a migrate job that finds it dropped already completes.
 */
export class DropToyArticles1796080169915 implements MigrationInterface {
  name = 'DropToyArticles1796080169915';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE IF EXISTS article');
  }

  /** The table as CreateArticles1732240000000 made it; its rows are not restored. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS article (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        title varchar(200) NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }
}
