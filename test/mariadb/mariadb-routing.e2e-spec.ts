import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Column, DataSource, Entity, PrimaryGeneratedColumn, Repository } from 'typeorm';
import { DatabaseTopology, parseEndpoint } from '../../src/database/database-topology';
import { Host } from '../../src/database/host';
import { LoadBalancer } from '../../src/database/load-balancer';
import { MariaDbNode, MariaDbSettings } from '../../src/database/mariadb-node';
import { MariaDbRoutingDriver } from '../../src/database/mariadb-routing-driver';
import { TopologyMonitor } from '../../src/database/topology-monitor';
import { RequestContext } from '../../src/request-context/request-context';
import {
  createUsers,
  gtidPrimary,
  gtidReplicas,
  MARIADB_DIR,
  MARIADB_PORT,
  mariadbCredentials,
  namespacesLeft,
  removeMariaDbNodes,
  replicateFrom,
  sql,
  startMariaDbNodes,
  stopMariaDbNode,
  waitForReplication,
} from '../../stack/native/mariadb';
import { waitFor } from '../../stack/native/shell';

/**
 * The routing on MariaDB (issue 13, part 2), below the app: TypeORM's own MariaDB driver with `replication` as
 * its users write it, given MariaDbRoutingDriver, over the GTID harness's primary and two read_only replicas.
 * The load balancer, the session and the topology monitor are PostgreSQL's, unchanged: only the node
 * (MariaDbNode: mysql2 pools, GTID positions) and the connection TypeORM holds are MariaDB's.
 */
@Entity({ name: 'notes' })
class Note {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  body!: string;
}

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

let topology: DatabaseTopology;
let monitor: TopologyMonitor;
let dataSource: DataSource;
let notes: Repository<Note>;

/** Runs `work` as one request would: its own context and session, with the token of an earlier request when given. */
async function inRequest<T>(work: (context: RequestContext) => Promise<T>, token?: bigint): Promise<{ result: T; context: RequestContext; position?: bigint }> {
  const context = new RequestContext(`spec-${Math.random()}`);
  if (token !== undefined) context.session.requireToken({ position: token, issuedAt: Date.now() });
  const result = await RequestContext.run(context, () => work(context));
  return { result, context, position: await context.session.positionSeen() };
}

/** Which kind of node served each of the request's statements. */
const servedBy = (context: RequestContext) => context.dbNodes.map((node) => (node === gtidPrimary.address ? 'primary' : 'replica'));

describe('Routing on MariaDB: TypeORM with MariaDbRoutingDriver over a GTID primary and two replicas', () => {
  beforeAll(async () => {
    await removeMariaDbNodes(nodes); // what a crashed run left behind
    await startMariaDbNodes(nodes);
    await Promise.all(nodes.map((node) => createUsers(node)));
    await Promise.all(gtidReplicas.map((replica) => replicateFrom(replica, gtidPrimary)));
    await waitForReplication(gtidReplicas);
    await sql(gtidPrimary, 'CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, body VARCHAR(64) NOT NULL)', { as: app, database: app.database });

    topology = new DatabaseTopology((hostAndPort, purpose) => new Host(new MariaDbNode(parseEndpoint(hostAndPort, MARIADB_PORT), settings), { excludeAfter: 1, readmitAfter: 1 }, purpose));
    nodes.forEach((node) => (topology.addHost(node.address).pinned = true));
    monitor = new TopologyMonitor(topology, { maxLagBytes: 1_000_000, maxLagSeconds: 30 }, 200);
    await monitor.start();
    const balancer = new LoadBalancer(topology, { fallback: 'primary', fallbackMaxLagBytes: 0, tokenWaitMs: 300, trackPositions: true, analyticsWaitMs: 1000 }, monitor);
    dataSource = await MariaDbRoutingDriver.initialize(
      new DataSource({
        type: 'mariadb',
        driver: new MariaDbRoutingDriver(balancer),
        replication: { master: credentials(gtidPrimary.address), slaves: gtidReplicas.map((replica) => credentials(replica.address)) },
        entities: [Note],
      }),
    );
    notes = dataSource.getRepository(Note);
  }, 180_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await monitor?.stop();
    await topology?.close();
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

  it('should read every write back in the next request with replication running, from replicas once they have applied it', async () => {
    let stale = 0;
    const served: string[] = [];
    for (let i = 0; i < 100; i++) {
      const { result: saved, position } = await inRequest(() => notes.save({ body: `running ${i}` }));
      const { result: found, context } = await inRequest(() => notes.findOneBy({ id: saved.id }), position);
      if (found?.body !== `running ${i}`) stale++;
      served.push(...servedBy(context));
    }
    const onReplicas = served.filter((kind) => kind === 'replica').length;
    report(`100 save→find pairs across requests: ${stale} stale, ${onReplicas} reads on replicas, ${served.length - onReplicas} on the primary`);

    expect(stale).toBe(0);
    expect(onReplicas).toBeGreaterThan(0);
  });

  it('should not fail a read while a replica is stopped, and send it reads again once it is back', async () => {
    let failed = 0;
    let reads = 0;
    const loop = (async () => {
      const until = Date.now() + 4000;
      while (Date.now() < until) {
        reads++;
        await inRequest(() => notes.find({ take: 5 })).catch(() => failed++);
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stopMariaDbNode(replica1);
    await loop;
    report(`${reads} reads while ${replica1.name} stopped: ${failed} failed`);
    expect(failed).toBe(0);

    await startMariaDbNodes([replica1]);
    await waitFor(`${replica1.name} readmitted`, async () => topology.hosts.byName(replica1.address)?.eligible);
    const after = await Promise.all(Array.from({ length: 6 }, () => inRequest(() => notes.find({ take: 1 }))));
    expect(new Set(after.flatMap(({ context }) => context.dbNodes))).toEqual(new Set([replica1.address, replica2.address]));
  });
});
