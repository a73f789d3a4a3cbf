import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { violatedUniqueConstraint } from './unique-violation';

const onMariaDb = (em: EntityManager) => em.connection.options.type === 'mariadb';

/**
 * Inserts `rows`, skipping those a unique key already holds, and answers how many it inserted. PostgreSQL: ON
 * CONFLICT DO NOTHING (TypeORM's orIgnore()). On MariaDB, orIgnore() is INSERT IGNORE, which also turns every
 * other error into a warning and skips the row (a failed foreign key, a value cut short): there, one INSERT a
 * row, and only the duplicate-key error (1062) is taken for "already there". It fails the statement alone, not
 * the transaction.
 */
export async function insertUnlessPresent<Entity extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<Entity>, rows: QueryDeepPartialEntity<Entity>[]): Promise<number> {
  if (!onMariaDb(em)) {
    const keys = em.getRepository(entity).metadata.primaryColumns.map((column) => column.databaseName);
    const inserted = await em.createQueryBuilder().insert().into(entity).values(rows).orIgnore().returning(keys).execute();
    return (inserted.raw as unknown[]).length;
  }
  let inserted = 0;
  for (const row of rows) {
    try {
      await em.createQueryBuilder().insert().into(entity).values(row).updateEntity(false).execute();
      inserted++;
    } catch (error) {
      if (violatedUniqueConstraint(error) === undefined) throw error;
    }
  }
  return inserted;
}

/**
 * The lock a transaction takes on a row before it inserts rows that reference it, so that the row is not deleted
 * under it (the insert would fail its foreign key). PostgreSQL: FOR KEY SHARE, which neither waits for nor
 * blocks an UPDATE of the row's other columns. MariaDB has none as weak: LOCK IN SHARE MODE, unless the
 * transaction updates the row afterwards (`thenUpdates`). Two such transactions would each hold a shared lock
 * and wait for the other's to take the exclusive one, a deadlock: they take FOR UPDATE, and take turns.
 */
export function referencedRowLock(em: EntityManager, { thenUpdates = false } = {}): { mode: 'for_key_share' | 'pessimistic_read' | 'pessimistic_write' } {
  if (!onMariaDb(em)) return { mode: 'for_key_share' };
  return { mode: thenUpdates ? 'pessimistic_write' : 'pessimistic_read' };
}
