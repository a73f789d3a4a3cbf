import { ColumnOptions, PrimaryGeneratedColumn } from 'typeorm';
import { configSchema } from '../config/app-config';

export type Dialect = 'postgres' | 'mariadb';

/**
 * The dialect the entities are declared for: DB_DIALECT, read from the environment when this module loads.
 * Not from AppConfig, which exists only later: TypeORM takes a column's type from its decorator, and decorators
 * run when an entity's file is imported. A value AppConfig would refuse counts as PostgreSQL here; the app's
 * boot then refuses it with every other bad setting. The one-shot jobs check that it agrees with their
 * configuration (primaryDataSource).
 */
export const ENTITY_DIALECT: Dialect = configSchema.shape.DB_DIALECT.catch('postgres').parse(process.env.DB_DIALECT || undefined);

/**
 * The options of a column holding a point in time. PostgreSQL: `timestamptz`. MariaDB has no type with a time
 * zone (TypeORM's MySQL driver refuses `timestamptz` when the data source initializes) and its TIMESTAMP ends
 * in 2038: `datetime(6)`, microseconds as in PostgreSQL, holding UTC (the app's connections read and write
 * DATETIME as UTC, timezone 'Z').
 */
export function pointInTimeColumn(dialect: Dialect = ENTITY_DIALECT): Pick<ColumnOptions, 'type' | 'precision'> {
  return dialect === 'mariadb' ? { type: 'datetime', precision: 6 } : { type: 'timestamptz' };
}

/**
 * An integer primary key the database generates. PostgreSQL: an identity column (GENERATED ALWAYS). MariaDB:
 * AUTO_INCREMENT, TypeORM's `increment`, the only strategy for which its MySQL driver reads the new row's id
 * back from the INSERT's answer (with `identity` a saved entity would come back without its id).
 */
export function GeneratedIdColumn(dialect: Dialect = ENTITY_DIALECT): PropertyDecorator {
  return dialect === 'mariadb' ? PrimaryGeneratedColumn('increment') : PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' });
}
