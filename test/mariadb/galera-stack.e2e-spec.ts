import './galera-stack-index';
import { isAlive } from '../../stack/native/daemons';
import { galeraClusterOf, galeraStatus, stateTransfersOf } from '../../stack/native/galera';
import { listNamespaces } from '../../stack/native/netns';
import { down, start, status, stop, up } from '../../stack/native/stack';
import { GALERA_SERVICES, runsGalera, service } from '../../stack/topology';
import { fromClient, register } from './support/stack-client';

/**
 * The native stack on Galera (`DB_DIALECT=mariadb DB_TOPOLOGY=galera npm run stack -- up`,
 * docs/galera.md, "The native stack on Galera"): the MariaDB stack's services with mariadb-galera-1..3 in place
 * of the primary and replicas, app-1 writing to mariadb-galera-1 and app-2 to mariadb-galera-2. Each test
 * continues from the state the one before left.
 */
const quiet = () => undefined;
const report = (line: string) => process.stdout.write(`  ${line}\n`);
const members = galeraClusterOf(GALERA_SERVICES.filter(runsGalera));
const [galera1] = members;

/** An app server's /health/replication, asked at its own address: the member it writes to, and those it reads from. */
async function routingOf(app: string): Promise<{ writer: string; readers: [string, boolean][] }> {
  const spec = service(app, GALERA_SERVICES);
  const view = (await (await fetch(`http://${spec.address}:${spec.port}/health/replication`)).json()) as {
    primary: { name: string };
    replicas: { name: string; eligible: boolean }[];
  };
  return { writer: view.primary.name, readers: view.replicas.map((r): [string, boolean] => [r.name, r.eligible]).sort() };
}

const runId = Date.now().toString(36);
let pidsWhileUp: number[] = [];

describe('The native stack on Galera: three writable members, each app server writing to its own', () => {
  beforeAll(async () => {
    await down({ volumes: true, progress: quiet }); // what a crashed run left behind
    const started = Date.now();
    await up({ build: false, dialect: 'mariadb', topology: 'galera', progress: quiet });
    report(`DB_DIALECT=mariadb DB_TOPOLOGY=galera up in ${Date.now() - started} ms`);
  }, 240_000);

  afterAll(async () => {
    await down({ volumes: true, progress: quiet });
  }, 120_000);

  it('should run every service of the Galera stack healthy, the three members Synced', async () => {
    const services = await status();
    pidsWhileUp = services.flatMap((s) => (s.pid === null ? [] : [s.pid]));

    expect(services.map((s) => s.name)).toEqual(GALERA_SERVICES.filter((s) => !s.optional && s.kind !== 'job' && s.kind !== 'client').map((s) => s.name));
    expect(services.filter((s) => !s.healthy)).toEqual([]);
    expect(services.filter((s) => s.name.startsWith('mariadb-galera-')).map((s) => [s.name, s.role])).toEqual([
      ['mariadb-galera-1', 'Synced'],
      ['mariadb-galera-2', 'Synced'],
      ['mariadb-galera-3', 'Synced'],
    ]);
  });

  it('should refuse to start the stack again on MariaDB primary and replicas while it runs on Galera', async () => {
    await expect(up({ build: false, dialect: 'mariadb', progress: quiet })).rejects.toThrow(/runs on mariadb \(Galera\), not mariadb: nothing was started/);
  });

  it('should have app-1 write to mariadb-galera-1 and app-2 to mariadb-galera-2, each reading from the two others', async () => {
    expect([await routingOf('app-1'), await routingOf('app-2')]).toEqual([
      { writer: 'mariadb-galera-1', readers: [['mariadb-galera-2', true], ['mariadb-galera-3', true]] },
      { writer: 'mariadb-galera-2', readers: [['mariadb-galera-1', true], ['mariadb-galera-3', true]] },
    ]);
  });

  it('should read back a user registered through lb from the client, by the public name', async () => {
    const registered = await register(`ada-${runId}`);
    const read = await fromClient('GET', '/api/user', { token: registered.body.user.token });

    expect(registered.status).toBe(201);
    expect(read.status).toBe(200);
    expect(read.body.user.username).toBe(`ada-${runId}`);
  });

  it('should take writes through lb once mariadb-galera-1 is killed, app-1 writing to another member', async () => {
    await stop('mariadb-galera-1', { hard: true });
    const killed = Date.now();

    // Sequential POSTs: lb alternates between the app servers, so app-1 takes some of them.
    const statuses: number[] = [];
    const timings: number[] = [];
    for (let i = 0; i < 6; i++) {
      const sent = Date.now();
      statuses.push((await register(`bob-${runId}-${i}`)).status);
      timings.push(Date.now() - sent);
    }
    report(`POSTs through lb after the kill: ${statuses.join(' ')}, in ${timings.join(', ')} ms (the last answered ${Date.now() - killed} ms after the kill)`);

    expect(statuses).toEqual(Array(6).fill(201));
    expect((await routingOf('app-1')).writer).not.toBe('mariadb-galera-1');
  }, 60_000);

  it('should rejoin mariadb-galera-1 by IST on start: Synced in a cluster of 3, app-1 writing to it again', async () => {
    const transfersBefore = stateTransfersOf(galera1);
    const starting = Date.now();
    await start('mariadb-galera-1', quiet);
    const rejoinedIn = Date.now() - starting;
    const transfers = stateTransfersOf(galera1);
    report(`start mariadb-galera-1: Synced in ${rejoinedIn} ms (IST ${transfers.ist - transfersBefore.ist}, SST ${transfers.sst - transfersBefore.sst})`);

    expect(await galeraStatus(galera1)).toMatchObject({ localState: 'Synced', clusterStatus: 'Primary', clusterSize: 3 });
    expect(transfers).toEqual({ sst: transfersBefore.sst, ist: transfersBefore.ist + 1 });
    // app-1's probe finds its first member Synced again within a probe interval (REPLICA_PROBE_INTERVAL_MS, 1 s).
    const deadline = Date.now() + 15_000;
    while ((await routingOf('app-1')).writer !== 'mariadb-galera-1' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await routingOf('app-1')).writer).toBe('mariadb-galera-1');
    expect((await register(`carol-${runId}`)).status).toBe(201);
  }, 60_000);

  it('should leave no namespace and no process after down', async () => {
    const running = (await status()).flatMap((s) => (s.pid === null ? [] : [s.pid]));

    await down({ progress: quiet });

    expect(listNamespaces()).toEqual([]);
    expect([...new Set([...pidsWhileUp, ...running])].filter(isAlive)).toEqual([]);
  }, 120_000);
});
