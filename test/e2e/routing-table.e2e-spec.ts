import { Readable } from 'node:stream';
import { ConduitArticle } from '../../src/conduit/articles/conduit-article.entity';
import { slugFor } from '../../src/conduit/articles/slug';
import { User } from '../../src/conduit/users/user.entity';
import { usePrimary } from '../../src/database/consistency';
import { Lsn, parseLsn } from '../../src/database/lsn';
import { isNodeFailure } from '../../src/database/node-failure';
import { onNode, pauseReplay, resumeReplay, until } from './support/stack-control';
import { RoutedDataSource } from './support/routed-data-source';

// The routing table of docs/routing-and-consistency.md, row by row: code written only in the TypeORM idiom (repositories, query
// builders, the data source, transactions), and the node that ran it on the real stack. It is also the guard
// for a TypeORM upgrade: the routing relies on TypeORM sending these operations through its slave or master
// query runners, and a change there fails a row here.
describe('The routing table, for plain TypeORM code', () => {
  let db: RoutedDataSource;
  let author: User;
  let seeded: ConduitArticle;
  const articles = () => db.dataSource.getRepository(ConduitArticle);
  /** A Conduit article's row by `author`: the columns a write must give. */
  const draft = (title: string) => ({ slug: slugFor(title), title, description: 'A routing table row.', body: 'x', authorId: author.id });
  const replicaNames = () => db.topology.hosts.oltp().filter((h) => h.health.role === 'replica').map((h) => h.name);
  const lsnOn = async (name: string, sql: string): Promise<Lsn> => parseLsn((await onNode<{ lsn: string }>(name, `SELECT (${sql})::text AS lsn`))[0].lsn);

  /** Every connection of the request ran on one replica, for `route`. */
  const expectOnReplica = (record: { nodes: string[]; routes: string[] }, route = 'replica') => {
    expect(record.nodes.length).toBeGreaterThan(0);
    expect(replicaNames()).toContain(record.nodes[0]);
    expect(record).toMatchObject({ nodes: record.nodes.map(() => record.nodes[0]), routes: record.routes.map(() => route) });
  };
  const expectOnPrimary = (record: { nodes: string[]; routes: string[] }, route: string) => {
    expect({ nodes: record.nodes, routes: record.routes }).toEqual({ nodes: record.nodes.map(() => db.primaryName), routes: record.routes.map(() => route) });
    expect(record.nodes.length).toBeGreaterThan(0);
  };

  beforeAll(async () => {
    db = await RoutedDataSource.start();
    const users = db.dataSource.getRepository(User);
    const username = `routing_${Date.now().toString(36)}`;
    author = await users.save(users.create({ username, email: `${username}@example.test`, passwordHash: 'not a hash: never signs in' }));
    seeded = await articles().save(articles().create(draft('routing table')));
    await until('the seed on every replica', async () => {
      const counts = await Promise.all(replicaNames().map((name) => onNode(name, 'SELECT 1 FROM conduit_article WHERE id = $1', [seeded.id])));
      return counts.length === 2 && counts.every((rows) => rows.length === 1);
    });
  });

  afterAll(async () => {
    await db?.close();
  });

  describe('reads outside a transaction → a replica, the same one for the whole request', () => {
    it('should run repository reads (find*, count, exists, sum) on a replica', async () => {
      const record = await db.request(async () => [
        await articles().findOneBy({ id: seeded.id }),
        await articles().find({ take: 2 }),
        await articles().count(),
        await articles().existsBy({ id: seeded.id }),
        await articles().sum('id'),
      ]);

      expect((record.result[0] as ConduitArticle | null)?.title).toBe('routing table');
      expectOnReplica(record);
      expect(record.nodes).toHaveLength(5);
    });

    it('should run query-builder reads (getOne, getMany, getRawMany, getCount, getManyAndCount) on a replica', async () => {
      const qb = () => articles().createQueryBuilder('a').where('a.id = :id', { id: seeded.id });
      const record = await db.request(async () => [await qb().getOne(), await qb().getMany(), await qb().getRawMany(), await qb().getCount(), await qb().getManyAndCount()]);

      expect(record.result[3]).toBe(1);
      expectOnReplica(record);
    });

    it('should run reads through a custom repository (extend) and the entity manager on a replica, concurrent ones on the same replica', async () => {
      const titled = articles().extend({
        findTitled(this: ReturnType<typeof articles>, title: string) {
          return this.findOneBy({ title });
        },
      });
      const record = await db.request(async () => Promise.all([titled.findTitled('routing table'), db.dataSource.manager.find(ConduitArticle, { take: 1 }), articles().count()]));

      expect(record.result[0]?.id).toBe(seeded.id);
      expectOnReplica(record);
      expect(record.nodes).toHaveLength(3);
    });

    it('should stream from a replica, on a connection of its own', async () => {
      const record = await db.request(async () => {
        const stream = (await articles().createQueryBuilder('a').where('a.id = :id', { id: seeded.id }).stream()) as Readable;
        const rows: unknown[] = [];
        for await (const row of stream) rows.push(row);
        return rows;
      });

      expect(record.result).toHaveLength(1);
      expectOnReplica(record);
    });

    it('should run a raw query on a replica when asked through a slave query runner', async () => {
      const record = await db.request(async () => {
        const runner = db.dataSource.createQueryRunner('slave');
        try {
          return await runner.query('SELECT pg_is_in_recovery() AS replica');
        } finally {
          await runner.release();
        }
      });

      expect(record.result).toEqual([{ replica: true }]);
      expectOnReplica(record);
    });

    it('should fail loudly when a write reaches a replica session, and write nothing', async () => {
      const title = `never written ${Date.now()}`;
      const failure = await db
        .request(async () => {
          const runner = db.dataSource.createQueryRunner('slave');
          try {
            return await runner.query('INSERT INTO conduit_article (slug, title, description, body, author_id) VALUES ($1, $2, $3, $4, $5)', [slugFor(title), title, 'd', 'x', author.id]);
          } finally {
            await runner.release();
          }
        })
        .catch((error: unknown) => error);

      expect(String(failure)).toMatch(/read-only transaction/);
      expect(await onNode(db.primaryName, 'SELECT 1 FROM conduit_article WHERE title = $1', [title])).toHaveLength(0);
    });
  });

  describe('writes, transactions, locks and raw SQL → the primary', () => {
    it('should run raw query() on the primary, as TypeORM does', async () => {
      const record = await db.request(async () => [await db.dataSource.query('SELECT pg_is_in_recovery() AS replica'), await articles().query('SELECT 1 AS one')]);

      expect(record.result[0]).toEqual([{ replica: false }]);
      expectOnPrimary(record, 'primary:write');
    });

    // upsert, increment and softDelete build the same Insert/UpdateQueryBuilder as insert and update.
    it('should run save, insert, update and delete on the primary', async () => {
      const record = await db.request(async () => {
        const saved = await articles().save(articles().create(draft('written')));
        const inserted = await articles().insert(draft('inserted'));
        await articles().update({ id: saved.id }, { title: 'updated' });
        await articles().delete({ id: inserted.identifiers[0].id as number });
        return saved.id;
      });

      expectOnPrimary(record, 'primary:write');
      expect(await onNode(db.primaryName, 'SELECT title FROM conduit_article WHERE id = $1', [record.result])).toEqual([{ title: 'updated' }]);
    });

    it('should run dataSource.transaction() on the primary in one transaction, reads inside it included', async () => {
      const record = await db.request(() =>
        db.dataSource.transaction(async (em) => {
          const count = await em.count(ConduitArticle);
          await em.save(em.create(ConduitArticle, draft('in a transaction')));
          const [{ xid }] = await em.query('SELECT txid_current()::text AS xid');
          const [{ xid: same }] = await em.query('SELECT txid_current()::text AS xid');
          return { count, sameTransaction: xid === same };
        }),
      );

      expect(record.result.sameTransaction).toBe(true);
      expectOnPrimary(record, 'primary:write');
      expect(record.nodes).toHaveLength(1); // one connection: one transaction
    });

    it('should run queryRunner.startTransaction() and a locked read on the primary', async () => {
      const record = await db.request(async () => {
        const runner = db.dataSource.createQueryRunner();
        await runner.connect();
        await runner.startTransaction();
        try {
          const locked = await runner.manager.findOne(ConduitArticle, { where: { id: seeded.id }, lock: { mode: 'pessimistic_write' } });
          await runner.commitTransaction();
          return locked?.id;
        } finally {
          await runner.release();
        }
      });

      expect(record.result).toBe(seeded.id);
      expectOnPrimary(record, 'primary:write');
    });

    it('should read from the primary after a write in the same request', async () => {
      const record = await db.request(async () => {
        const saved = await articles().save(articles().create(draft('read back')));
        return articles().findOneBy({ id: saved.id });
      });

      expect(record.result?.title).toBe('read back');
      expect(record.routes).toEqual(['primary:write', 'primary:after-write']);
      expect(new Set(record.nodes)).toEqual(new Set([db.primaryName]));
    });

    it("should read from the primary on a @Consistency('strong') route and inside usePrimary()", async () => {
      const strong = await db.request(
        () => articles().findOneBy({ id: seeded.id }),
        (context) => context.session.applyRouteConsistency({ kind: 'strong' }), // what @Consistency('strong') does
      );
      const scoped = await db.request(async () => [await usePrimary(() => articles().findOneBy({ id: seeded.id })), await articles().findOneBy({ id: seeded.id })]);

      expectOnPrimary(strong, 'primary:strong');
      // The read after the block is on a replica again — one that has replayed what the block saw (monotonic reads).
      expect(scoped.routes).toEqual(['primary:strong', expect.stringMatching(/^replica/)]);
      expect(replicaNames()).toContain(scoped.nodes[1]);
    });
  });

  describe('positions, read in the round trip of the statement they follow', () => {
    it('should read the position behind COMMIT, past the commit record, so a replica there has the row', async () => {
      const primary = db.topology.primary!;
      const pipelinedBefore = primary.positionQueries.pipelined;
      const record = await db.request(() =>
        db.dataSource.transaction(async (em) => {
          const article = await em.save(em.create(ConduitArticle, draft('positioned write')));
          const [{ lsn }] = await em.query('SELECT pg_current_wal_insert_lsn()::text AS lsn');
          return { id: article.id, beforeCommit: parseLsn(lsn) };
        }),
      );
      const position = record.context.session.writeLsn!;

      expect(position).toBeGreaterThan(record.result.beforeCommit);
      expect(primary.positionQueries.pipelined - pipelinedBefore).toBe(1); // after COMMIT only, not after every statement
      const replica = replicaNames()[0];
      await until(`${replica} to replay up to the write's position`, async () => (await lsnOn(replica, 'pg_last_wal_replay_lsn()')) >= position);
      expect(await onNode(replica, 'SELECT id FROM conduit_article WHERE id = $1', [record.result.id])).toHaveLength(1);
    });

    it("should record the replica's own replayed position behind a read, not the primary's", async () => {
      const replicas = replicaNames();
      await pauseReplay(...replicas);
      try {
        await articles().save(articles().create(draft('while paused')));
        const record = await db.request(() => articles().count());
        const served = record.nodes[0];

        expect(replicas).toContain(served);
        expect(record.context.session.seenLsn).toBe(await lsnOn(served, 'pg_last_wal_replay_lsn()'));
        expect(record.context.session.seenLsn!).toBeLessThan(await lsnOn(db.primaryName, 'pg_current_wal_flush_lsn()'));
      } finally {
        await resumeReplay(...replicas);
      }
    });

    it('should report a connection that failed between two statements of a transaction as the node failing, and write nothing', async () => {
      const failure = await db
        .request(() =>
          db.dataSource.transaction(async (em) => {
            const [{ pid }] = await em.query('SELECT pg_backend_pid() AS pid');
            await onNode(db.primaryName, 'SELECT pg_terminate_backend($1)', [pid]); // as a shutting-down server does
            await new Promise((resolve) => setTimeout(resolve, 200));
            return em.save(em.create(ConduitArticle, draft('never committed')));
          }),
        )
        .catch((error: unknown) => error);

      expect(isNodeFailure(failure)).toBe(true);
      expect(await onNode(db.primaryName, "SELECT 1 FROM conduit_article WHERE title = 'never committed'")).toHaveLength(0);
    });
  });
});
