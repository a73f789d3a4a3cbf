import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { DataSource, Repository } from 'typeorm';
import { DatabaseTopology, parseEndpoint } from '../../src/database/database-topology';
import { Host } from '../../src/database/host';
import { LoadBalancer } from '../../src/database/load-balancer';
import { MariaDbNode as MariaDbServer, MariaDbSettings } from '../../src/database/mariadb-node';
import { MariaDbRoutingDriver } from '../../src/database/mariadb-routing-driver';
import { TopologyMonitor } from '../../src/database/topology-monitor';
import { RequestContext } from '../../src/request-context/request-context';
import {
  createUsers,
  gtidPrimary,
  gtidReplicas,
  MARIADB_DIR,
  MARIADB_PORT,
  type MariaDbNode,
  mariadbCredentials,
  namespacesLeft,
  promoteMostAdvanced,
  removeMariaDbNodes,
  replicateFrom,
  sql,
  startMariaDbNodes,
  waitForCatchUp,
  waitForReplication,
} from '../../stack/native/mariadb';
import { stopDaemon } from '../../stack/native/daemons';
import { waitFor } from '../../stack/native/shell';
import { CREATE_NOTES_TABLE, Note } from './note.entity';
import { describePairs, describeRestart, readsAcrossReplicaRestart, RequestScope, RESTART_PHASES, saveThenFind, SIDE_BY_SIDE } from './replication-scenarios';

/**
 * The routing on MariaDB (issue 13, part 2), below the app: TypeORM's own MariaDB driver with `replication` as
 * its users write it, given MariaDbRoutingDriver, over the GTID harness's primary and two read_only replicas.
 * The load balancer, the session and the topology monitor are PostgreSQL's, unchanged: only the node
 * (MariaDbNode: mysql2 pools, GTID positions) and the connection TypeORM holds are MariaDB's. The last tests run
 * the side-by-side's scenarios, which typeorm-replication-peer.e2e-spec.ts runs on TypeORM's own replication.
 */

const nodes = [gtidPrimary, ...gtidReplicas];
const [replica1, replica2] = gtidReplicas;
const { app } = mariadbCredentials;
const report = (line: string) => process.stdout.write(`  ${line}\n`);
const settings: MariaDbSettings = {
  user: app.user,
  password: app.password,
  database: app.database,
  readPoolMax: 5,
  writePoolMax: 5,
  poolIdleTimeoutMs: 60_000,
  connectTimeoutMs: 1000,
  statementTimeoutMs: 5000,
  probeTimeoutMs: 500,
  applicationName: 'mariadb-routing-spec',
  gtidDomainId: 0,
};
const credentials = (address: string) => ({ host: address, port: MARIADB_PORT, username: app.user, password: app.password, database: app.database });

/** The routing as the app builds it, over the primary and `replicas`: its topology, monitor and data source. */
interface Routing {
  topology: DatabaseTopology;
  monitor: TopologyMonitor;
  dataSource: DataSource;
  close(): Promise<void>;
}

async function startRouting(replicas: readonly MariaDbNode[]): Promise<Routing> {
  const topology = new DatabaseTopology((hostAndPort, purpose) => new Host(new MariaDbServer(parseEndpoint(hostAndPort, MARIADB_PORT), settings), { excludeAfter: 1, readmitAfter: 1 }, purpose));
  [gtidPrimary, ...replicas].forEach((node) => (topology.addHost(node.address).pinned = true));
  const monitor = new TopologyMonitor(topology, { maxLagBytes: 1_000_000, maxLagSeconds: 30 }, 200);
  await monitor.start();
  const balancer = new LoadBalancer(topology, { fallback: 'primary', fallbackMaxLagBytes: 0, tokenWaitMs: 300, trackPositions: true, analyticsWaitMs: 1000 }, monitor);
  const dataSource = await MariaDbRoutingDriver.initialize(
    new DataSource({
      type: 'mariadb',
      driver: new MariaDbRoutingDriver(balancer),
      replication: { master: credentials(gtidPrimary.address), slaves: replicas.map((replica) => credentials(replica.address)) },
      entities: [Note],
    }),
  );
  return {
    topology,
    monitor,
    dataSource,
    async close() {
      await dataSource.destroy();
      await monitor.stop();
      await topology.close();
    },
  };
}

let routing: Routing;
let topology: DatabaseTopology;
let dataSource: DataSource;
let notes: Repository<Note>;

/** Runs `work` as one request would: its own context and session, with the token of an earlier request when given. */
async function inRequest<T>(work: (context: RequestContext) => Promise<T>, token?: bigint): Promise<{ result: T; context: RequestContext; position?: bigint }> {
  const context = new RequestContext(`spec-${Math.random()}`);
  if (token !== undefined) context.session.requireToken({ position: token, issuedAt: Date.now() });
  const result = await RequestContext.run(context, () => work(context));
  return { result, context, position: await context.session.positionSeen() };
}

/** Each unit of work as one request of the app: a request context of its own, with its session. */
const asRequest: RequestScope = (work) => RequestContext.run(new RequestContext(`spec-${Math.random()}`), work);

/** Which kind of node served each of the request's statements. */
const servedBy = (context: RequestContext) => context.dbNodes.map((node) => (node === gtidPrimary.address ? 'primary' : 'replica'));

describe('Routing on MariaDB: TypeORM with MariaDbRoutingDriver over a GTID primary and two replicas', () => {
  beforeAll(async () => {
    await removeMariaDbNodes(nodes); // what a crashed run left behind
    await startMariaDbNodes(nodes);
    await Promise.all(nodes.map((node) => createUsers(node)));
    await Promise.all(gtidReplicas.map((replica) => replicateFrom(replica, gtidPrimary)));
    await waitForReplication(gtidReplicas);
    await sql(gtidPrimary, CREATE_NOTES_TABLE, { as: app, database: app.database });
    await waitForCatchUp(gtidReplicas, gtidPrimary);

    routing = await startRouting(gtidReplicas);
    ({ topology, dataSource } = routing);
    notes = dataSource.getRepository(Note);
  }, 180_000);

  afterAll(async () => {
    await routing?.close();
    await removeMariaDbNodes(nodes);

    expect(namespacesLeft(nodes)).toEqual([]);
    expect(existsSync(MARIADB_DIR)).toBe(false);
  }, 120_000);

  it('should elect the writable node as primary and send reads to the read_only replicas', async () => {
    expect(topology.primary?.address).toBe(`${gtidPrimary.address}:${MARIADB_PORT}`);

    const reads = await Promise.all(Array.from({ length: 6 }, () => inRequest(() => notes.find())));

    expect(reads.flatMap(({ context }) => servedBy(context))).toEqual(Array.from({ length: 6 }, () => 'replica'));
    expect(new Set(reads.flatMap(({ context }) => context.dbNodes))).toEqual(new Set(gtidReplicas.map((r) => r.address)));
  });

  it("should give a write its commit's GTID sequence number as the request's position, with no query of its own", async () => {
    const before = Number((await sql(gtidPrimary, 'SELECT @@gtid_binlog_pos'))[0][0]!.split('-')[2]);
    const primaryNode = topology.primary!;
    const positionQueries = { ...primaryNode.positionQueries };

    const { context, position } = await inRequest(() => notes.save({ body: 'first' }));

    expect(servedBy(context)).toEqual(['primary']);
    expect(primaryNode.positionQueries).toEqual(positionQueries);
    expect(position).toBe(BigInt(before + 1));
    expect((await sql(gtidPrimary, 'SELECT @@gtid_binlog_pos'))[0][0]).toBe(`0-11-${before + 1}`);
  });

  it('should read every write back in the next request, from the primary while the replicas lag behind it (SQL threads stopped)', async () => {
    await Promise.all(gtidReplicas.map((replica) => sql(replica, 'STOP SLAVE SQL_THREAD')));
    let stale = 0;
    const served: string[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const { result: saved, position } = await inRequest(() => notes.save({ body: `lagging ${i}` }));
        const { result: found, context } = await inRequest(() => notes.findOneBy({ id: saved.id }), position);
        if (found?.body !== `lagging ${i}`) stale++;
        served.push(...servedBy(context));
      }
    } finally {
      await Promise.all(gtidReplicas.map((replica) => sql(replica, 'START SLAVE SQL_THREAD')));
    }

    expect(stale).toBe(0);
    expect(new Set(served)).toEqual(new Set(['primary']));
  });

  it('should read every write back in the next request with replication running, from a replica once MASTER_GTID_WAIT says it applied it', async () => {
    let stale = 0;
    const routes: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const { result: saved, position } = await inRequest(() => notes.save({ body: `running ${i}` }));
      const { result: found, context } = await inRequest(() => notes.findOneBy({ id: saved.id }), position);
      if (found?.body !== `running ${i}`) stale++;
      for (const route of context.routes) routes[route] = (routes[route] ?? 0) + 1;
    }
    report(`100 save→find pairs across requests: ${stale} stale; routes ${JSON.stringify(routes)}`);

    expect(stale).toBe(0);
    // The monitor probes every 200 ms: a find right after its save usually finds the replicas' known positions
    // behind the token, and the wait (MariaDbNode.waitForPosition) lets a replica serve it.
    expect(routes['replica:token-wait']).toBeGreaterThan(0);
  });

  it('should read back every save of a request in that request, replicas running or stopped (the side-by-side)', async () => {
    const running = await saveThenFind(dataSource, { primary: gtidPrimary, replicas: gtidReplicas }, { pairs: SIDE_BY_SIDE.pairs, asRequest });
    await Promise.all(gtidReplicas.map((replica) => sql(replica, 'STOP SLAVE SQL_THREAD')));
    let lagging;
    try {
      lagging = await saveThenFind(dataSource, { primary: gtidPrimary, replicas: gtidReplicas }, { pairs: SIDE_BY_SIDE.pairs, asRequest });
    } finally {
      await Promise.all(gtidReplicas.map((replica) => sql(replica, 'START SLAVE SQL_THREAD')));
    }
    report(`replication running: ${describePairs(running)}`);
    report(`replicas' SQL threads stopped: ${describePairs(lagging)}`);

    expect([running.stale, running.failed, lagging.stale, lagging.failed]).toEqual([0, 0, 0, 0]);
  });

  it('should not fail a read while a replica restarts, and read from it again once it is back (the side-by-side)', async () => {
    const figures = await readsAcrossReplicaRestart(dataSource, { primary: gtidPrimary, replicas: gtidReplicas }, replica1, SIDE_BY_SIDE.restart, asRequest);
    report(`${replica1.name} restarted: ${describeRestart(figures)}`);

    expect(RESTART_PHASES.map((phase) => [phase, figures.phases[phase].failed])).toEqual(RESTART_PHASES.map((phase) => [phase, 0]));
    expect(figures.phases.stopped.reads).toBeGreaterThan(0);
    expect(figures.recoveredAfterMs).toBe(0);
    // Not restartedReplicaSelects: here it also counts the topology monitor's probes. Requests show where reads go.
    const after = await Promise.all(Array.from({ length: 6 }, () => inRequest(() => notes.find({ take: 1 }))));
    expect(new Set(after.flatMap(({ context }) => context.dbNodes))).toEqual(new Set([replica1.address, replica2.address]));
  }, 60_000);

  it('should fall back to the primary while the only replica restarts, where TypeORM fails every read (the side-by-side)', async () => {
    const oneReplica = await startRouting([replica1]);
    let figures;
    try {
      figures = await readsAcrossReplicaRestart(oneReplica.dataSource, { primary: gtidPrimary, replicas: gtidReplicas }, replica1, SIDE_BY_SIDE.restart, asRequest);
    } finally {
      await oneReplica.close();
    }
    report(`1 replica, ${replica1.name} restarted: ${describeRestart(figures)}`);

    expect(RESTART_PHASES.map((phase) => [phase, figures.phases[phase].failed])).toEqual(RESTART_PHASES.map((phase) => [phase, 0]));
    expect(figures.phases.stopped.reads).toBeGreaterThan(0);
  }, 60_000);

  it('should follow a promotion without a restart: writes go to the promoted replica once the old primary is gone', async () => {
    await stopDaemon(gtidPrimary.name, 'SIGKILL');
    const promoted = Date.now();
    const promotion = await promoteMostAdvanced(gtidReplicas);

    const saved = await waitFor(
      'a save through the routing after the promotion',
      () => inRequest(() => notes.save({ body: 'after the failover' })).catch(() => undefined),
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    report(`${promotion.promoted} promoted; the first save through the routing succeeded ${Date.now() - promoted} ms after the promotion began`);

    expect(saved.context.dbNodes).toEqual([replica1.address]);
    expect(topology.primary?.endpoint.host).toBe(replica1.address);
  }, 60_000);
});
