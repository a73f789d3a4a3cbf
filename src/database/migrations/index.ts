import { Dialect } from '../column-types';
import { CreateArticles1732240000000 } from './1732240000000-create-articles';
import { CreateConduit1796076280723 } from './1796076280723-create-conduit';
import { CreateConduitMariaDb1796076280723 } from './1796076280723-create-conduit.mariadb';
import { DropToyArticles1796080169915 } from './1796080169915-drop-toy-articles';

/**
 * PostgreSQL's migrations, oldest first. Add new ones at the end. (The name is older than MariaDB: the README's
 * "add it to MIGRATIONS" says where.)
 */
export const MIGRATIONS = [CreateArticles1732240000000, CreateConduit1796076280723, DropToyArticles1796080169915];

/**
 * MariaDB's, oldest first: the final schema of PostgreSQL's history (the toy `article` table came and went before
 * MariaDB did). A new migration goes at the end of both lists when TypeORM's QueryRunner API writes it for
 * either dialect, or as a pair of dialect-specific ones when it needs SQL of its own.
 */
export const MARIADB_MIGRATIONS = [CreateConduitMariaDb1796076280723];

export const migrationsFor = (dialect: Dialect) => (dialect === 'mariadb' ? MARIADB_MIGRATIONS : MIGRATIONS);
