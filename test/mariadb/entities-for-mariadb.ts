/**
 * Imported first by a spec that loads the app's entities for MariaDB: their column types are chosen when their
 * files load (src/database/column-types.ts), from DB_DIALECT, as in the app's own process.
 */
process.env.DB_DIALECT = 'mariadb';
