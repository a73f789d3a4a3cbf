import { EntityManager, QueryFailedError } from 'typeorm';
import { insertUnlessPresent, referencedRowLock } from './portable-writes';

class Row {}

const duplicate = () => new QueryFailedError('INSERT', [], Object.assign(new Error('dup'), { errno: 1062, sqlMessage: "Duplicate entry '1-2' for key 'PRIMARY'" }));
const foreignKeyFailure = () => new QueryFailedError('INSERT', [], Object.assign(new Error('fk'), { errno: 1452, sqlMessage: 'Cannot add or update a child row' }));

/** An entity manager whose query builder records each insert and answers with `answer(values)`. */
function managerOf(type: 'postgres' | 'mariadb', answer: (values: unknown) => unknown) {
  const inserts: { values: unknown; orIgnore: boolean; returning?: unknown }[] = [];
  const builder = (insert: { values: unknown; orIgnore: boolean; returning?: unknown }) => ({
    insert: () => builder(insert),
    into: () => builder(insert),
    values: (values: unknown) => builder(Object.assign(insert, { values })),
    orIgnore: () => builder(Object.assign(insert, { orIgnore: true })),
    returning: (returning: unknown) => builder(Object.assign(insert, { returning })),
    updateEntity: () => builder(insert),
    execute: async () => {
      inserts.push(insert);
      return answer(insert.values);
    },
  });
  const em = {
    connection: { options: { type } },
    getRepository: () => ({ metadata: { primaryColumns: [{ databaseName: 'user_id' }, { databaseName: 'article_id' }] } }),
    createQueryBuilder: () => builder({ values: undefined, orIgnore: false }),
  } as unknown as EntityManager;
  return { em, inserts };
}

describe('insertUnlessPresent', () => {
  it('should send one INSERT … ON CONFLICT DO NOTHING RETURNING the key on PostgreSQL, and count the rows it returned', async () => {
    const { em, inserts } = managerOf('postgres', () => ({ raw: [{ user_id: 1, article_id: 2 }] }));

    const inserted = await insertUnlessPresent(em, Row, [{ a: 1 }, { a: 2 }]);

    expect(inserted).toBe(1);
    expect(inserts).toEqual([{ values: [{ a: 1 }, { a: 2 }], orIgnore: true, returning: ['user_id', 'article_id'] }]);
  });

  it('should insert row by row on MariaDB, with no IGNORE, and skip the rows a unique key already holds (1062)', async () => {
    const { em, inserts } = managerOf('mariadb', (values) => {
      if ((values as { a: number }).a === 2) throw duplicate();
      return { raw: {} };
    });

    const inserted = await insertUnlessPresent(em, Row, [{ a: 1 }, { a: 2 }, { a: 3 }]);

    expect(inserted).toBe(2);
    expect(inserts.map((insert) => insert.orIgnore)).toEqual([false, false, false]);
  });

  it('should let any other failure through on MariaDB (INSERT IGNORE would have skipped the row)', async () => {
    const { em } = managerOf('mariadb', () => {
      throw foreignKeyFailure();
    });

    await expect(insertUnlessPresent(em, Row, [{ a: 1 }])).rejects.toBeInstanceOf(QueryFailedError);
  });
});

describe('referencedRowLock', () => {
  it('should be FOR KEY SHARE on PostgreSQL, whether or not the row is updated afterwards', () => {
    const { em } = managerOf('postgres', () => undefined);

    expect(referencedRowLock(em)).toEqual({ mode: 'for_key_share' });
    expect(referencedRowLock(em, { thenUpdates: true })).toEqual({ mode: 'for_key_share' });
  });

  it('should be LOCK IN SHARE MODE on MariaDB, and FOR UPDATE when the transaction updates the row afterwards', () => {
    const { em } = managerOf('mariadb', () => undefined);

    expect(referencedRowLock(em)).toEqual({ mode: 'pessimistic_read' });
    expect(referencedRowLock(em, { thenUpdates: true })).toEqual({ mode: 'pessimistic_write' });
  });
});
