import './native-stack-index';
import { isAlive } from '../../stack/native/daemons';
import { appLogin, PromotionWouldLoseTransactionsError, sql, SqlError, sqlValue } from '../../stack/native/mariadb';
import { mariaDbNodeOf, promote } from '../../stack/native/mariadb-stack';
import { listNamespaces } from '../../stack/native/netns';
import { down, start, status, stop, up } from '../../stack/native/stack';
import { MARIADB_SERVICES, service } from '../../stack/topology';
import { runRealWorldSuite } from '../realworld/realworld-suite';
import { ClientResponse, fromClient, register } from './support/stack-client';

/**
 * The native stack on MariaDB (`DB_DIALECT=mariadb npm run stack -- up`, docs/mariadb.md): the same services
 * under the same names, the database nodes MariaDB with GTID replication, and `promote` as its failover. Each
 * test continues from the state the one before left.
 */
const quiet = () => undefined;
const report = (line: string) => process.stdout.write(`  ${line}\n`);
const [replica1, replica2] = ['db-replica-1', 'db-replica-2'].map((name) => mariaDbNodeOf(service(name, MARIADB_SERVICES)));

const runId = Date.now().toString(36);
let pidsWhileUp: number[] = [];

describe('The native stack on MariaDB: the same services, GTID replication, promote', () => {
  beforeAll(async () => {
    await down({ volumes: true, progress: quiet }); // what a crashed run left behind
    const started = Date.now();
    await up({ build: false, dialect: 'mariadb', progress: quiet });
    report(`DB_DIALECT=mariadb up in ${Date.now() - started} ms`);
  }, 240_000);

  afterAll(async () => {
    await down({ volumes: true, progress: quiet });
  }, 120_000);

  it('should run every service of the MariaDB stack healthy, the database nodes by their role', async () => {
    const services = await status();
    pidsWhileUp = services.flatMap((s) => (s.pid === null ? [] : [s.pid]));

    expect(services.map((s) => s.name)).toEqual(MARIADB_SERVICES.filter((s) => !s.optional && s.kind !== 'job' && s.kind !== 'client').map((s) => s.name));
    expect(services.filter((s) => !s.healthy)).toEqual([]);
    expect(services.filter((s) => s.name.startsWith('db-')).map((s) => [s.name, s.role])).toEqual([
      ['db-primary', 'primary'],
      ['db-replica-1', 'replica'],
      ['db-replica-2', 'replica'],
    ]);
  });

  it('should refuse to start the stack again on PostgreSQL while it runs on MariaDB', async () => {
    await expect(up({ build: false, dialect: 'postgres', progress: quiet })).rejects.toThrow(/runs on mariadb, not postgres/);
  });

  it('should answer GET /api/articles with 200 through lb from the client, by the public name', async () => {
    const response = await fromClient('GET', '/api/articles?limit=1');

    expect(response.status).toBe(200);
    expect(response.body).toHaveProperty('articlesCount');
  });

  it('should read back a user just registered', async () => {
    const registered = await register(`ada-${runId}`);
    const read = await fromClient('GET', '/api/user', { token: registered.body.user.token });

    expect(registered.status).toBe(201);
    expect(read.status).toBe(200);
    expect(read.body.user.username).toBe(`ada-${runId}`);
  });

  it("should pass RealWorld's suite from the client through lb by the public name, with both replicas 1 s behind", async () => {
    const delayReplicas = (seconds: number) =>
      Promise.all([replica1, replica2].map((replica) => sql(replica, `STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = ${seconds}; START SLAVE`)));
    await delayReplicas(1);
    let outcome;
    try {
      outcome = await runRealWorldSuite();
    } finally {
      await delayReplicas(0);
    }
    report(`RealWorld through the MariaDB stack's lb, replicas 1 s behind: ${outcome.failedAssertions}/${outcome.assertions} failed`);

    expect(outcome.failures).toEqual([]);
    expect(outcome).toMatchObject({ requests: 32, failedRequests: 0, failedAssertions: 0 });
  }, 120_000);

  it('should keep both replicas read_only, refusing the app user a write there', async () => {
    for (const replica of [replica1, replica2]) {
      const refused = await sql(replica, 'CREATE TABLE written_on_a_replica (n INT)', { as: appLogin, database: 'app' }).catch((error: unknown) => error);

      expect(await sqlValue(replica, 'SELECT @@read_only')).toBe('1');
      expect(refused).toBeInstanceOf(SqlError);
      expect(refused).toMatchObject({ errno: 1290 });
    }
  });

  it('should refuse to promote a replica behind another, naming the one ahead', async () => {
    await sql(replica2, 'STOP SLAVE SQL_THREAD');
    expect((await register(`bob-${runId}`)).status).toBe(201);
    await stop('db-primary');

    const refused = promote('db-replica-2');

    await expect(refused).rejects.toBeInstanceOf(PromotionWouldLoseTransactionsError);
    await expect(refused).rejects.toThrow(/db-replica-2 has applied .*, behind db-replica-1/);
  });

  it('should promote the most advanced replica, re-point the other, and take writes through lb without an app restart', async () => {
    const promoting = Date.now();
    const promotion = await promote();
    const promotedIn = Date.now() - promoting;

    let firstWriteAfterMs: number | undefined;
    let written: ClientResponse | undefined;
    for (let attempt = 0; Date.now() - promoting < 20_000; attempt++) {
      written = await register(`carol-${runId}-${attempt}`);
      if (written.status === 201) {
        firstWriteAfterMs = Date.now() - promoting;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    report(`promote: ${promotion.promoted} in ${promotedIn} ms; the first POST through lb answered 201 ${firstWriteAfterMs} ms after it began`);

    expect(promotion).toMatchObject({ promoted: 'db-replica-1', repointed: ['db-replica-2'], unreachable: [] });
    expect(written?.status).toBe(201);
    expect((await status()).filter((s) => s.name.startsWith('db-')).map((s) => [s.name, s.role, s.healthy])).toEqual([
      ['db-primary', undefined, false],
      ['db-replica-1', 'primary', true],
      ['db-replica-2', 'replica', true],
    ]);
  }, 60_000);

  it('should bring the stopped primary back as a replica of the promoted one', async () => {
    await start('db-primary', quiet);

    expect((await status()).filter((s) => s.name.startsWith('db-')).map((s) => [s.name, s.role, s.healthy])).toEqual([
      ['db-primary', 'replica', true],
      ['db-replica-1', 'primary', true],
      ['db-replica-2', 'replica', true],
    ]);
  });

  it('should leave no namespace and no process after down', async () => {
    const running = (await status()).flatMap((s) => (s.pid === null ? [] : [s.pid]));

    await down({ progress: quiet });

    expect(listNamespaces()).toEqual([]);
    expect([...new Set([...pidsWhileUp, ...running])].filter(isAlive)).toEqual([]);
  }, 120_000);
});
