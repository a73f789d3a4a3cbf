import { existsSync } from 'node:fs';
import { GALERA_GTID_DOMAIN, galeraNodes, killGaleraNode, removeGaleraCluster, restartGaleraNode, startGaleraCluster, waitForSynced } from '../../stack/native/galera';
import { closeClient } from '../../stack/native/http-client';
import { detectDivergence, MARIADB_DIR, MARIADB_PORT, mariadbCredentials, namespacesLeft, nodesAgree, ringChecksums, sqlValue } from '../../stack/native/mariadb';
import { runAsync } from '../../stack/native/shell';
import { ConduitClient } from '../e2e/support/conduit';
import { runRealWorldSuite } from '../realworld/realworld-suite';
import { readBackAcrossAppServers, Served, startApp, startNginx, startRedis } from './support/app-servers';

/**
 * The app on Galera (DB_TOPOLOGY=galera, issue 13 part 3): two app servers behind nginx over three writable nodes,
 * app-1 writing to galera-1 and app-2 to galera-2, each reading from the other two members with its clients' tokens
 * (GALERA_TOKEN_WAIT). A certification conflict runs the request again (ConflictRetryInterceptor).
 */
const nodes = galeraNodes;
const [one, two, three] = nodes;
const { app } = mariadbCredentials;
const report = (line: string) => process.stdout.write(`  ${line}\n`);

/** An app server's settings: it writes to `writer`, the first of its hosts, and reads from the others. */
const appSettings = (redisUrl: string, writer: number): NodeJS.ProcessEnv => {
  const [first, ...others] = [...nodes.slice(writer), ...nodes.slice(0, writer)];
  return {
    DB_DIALECT: 'mariadb',
    DB_TOPOLOGY: 'galera',
    DB_GTID_DOMAIN_ID: String(GALERA_GTID_DOMAIN),
    DB_PORT: String(MARIADB_PORT),
    DB_PRIMARY_HOST: first.address,
    DB_REPLICA_HOSTS: others.map((node) => node.address).join(','),
    DB_NAME: app.database,
    DB_USER: app.user,
    DB_PASSWORD: app.password,
    REDIS_URL: redisUrl,
    // Probes often, so that a killed writer is replaced within a fraction of a second.
    REPLICA_PROBE_INTERVAL_MS: '250',
  };
};

let servers: Served[] = [];
let apps: Served[];
let lb: Served;

/** Each table's row count on `node` (the app's tables), as the node's root sees it over its socket. */
const countOn = async (node: (typeof nodes)[number], text: string) => Number(await sqlValue(node, text));

/** app_db_write_conflict_retries_total of an app server, by outcome. */
async function conflictRetries(server: Served): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^app_db_write_conflict_retries_total\{outcome="(\w+)"\} (\d+)/gm)].map(([, outcome, n]) => [outcome, Number(n)]));
}

describe('The app on Galera: two app servers behind nginx writing to different members of one cluster', () => {
  beforeAll(async () => {
    const started = Date.now();
    await removeGaleraCluster(nodes); // what a crashed run left behind
    await startGaleraCluster(nodes);
    const redis = await startRedis();
    servers.push(redis);
    report((await runAsync([process.execPath, 'dist/database/migrate.js'], { PATH: process.env.PATH, ...appSettings(redis.url, 0) })).trim());
    apps = await Promise.all([0, 1].map((writer) => startApp(`app-${writer + 1}`, appSettings(redis.url, writer))));
    servers.push(...apps);
    lb = await startNginx(apps);
    servers.push(lb);
    report(`three Galera nodes, Redis, two app servers and nginx ready in ${Date.now() - started} ms`);
  }, 240_000);

  afterAll(async () => {
    closeClient();
    for (const server of servers.reverse()) await server.stop();
    servers = [];
    await removeGaleraCluster(nodes);

    expect(namespacesLeft(nodes)).toEqual([]);
    expect(existsSync(MARIADB_DIR)).toBe(false);
  }, 120_000);

  it('should write to its own member on each app server and read from the other two', async () => {
    type View = { positions: unknown; primary: { name: string }; replicas: { name: string; eligible: boolean }[] };
    const views = await Promise.all(apps.map(async (server) => (await (await fetch(`${server.url}/health/replication`)).json()) as View));
    const shape = views.map((view) => ({
      writer: view.primary.name,
      readers: view.replicas.map((replica) => [replica.name, replica.eligible]).sort(),
    }));

    expect(views.map((view) => view.positions)).toEqual(Array(2).fill({ dialect: 'mariadb', topology: 'galera', counts: 'transactions', gtidDomainId: GALERA_GTID_DOMAIN }));
    expect(shape).toEqual([
      { writer: one.address, readers: [[two.address, true], [three.address, true]] },
      { writer: two.address, readers: [[one.address, true], [three.address, true]] },
    ]);
  });

  it("should pass RealWorld's suite through nginx", async () => {
    const outcome = await runRealWorldSuite(`${lb.url}/api`, { fromNamespace: null });
    report(`RealWorld on Galera: ${outcome.failedAssertions}/${outcome.assertions} failed`);

    expect(outcome.failures).toEqual([]);
    expect(outcome).toMatchObject({ requests: 32, failedRequests: 0, failedAssertions: 0 });
    expect(outcome.assertions).toBeGreaterThan(300);
  }, 120_000);

  it('should keep every acknowledged favorite of one hot article on every node, no client seeing a conflict', async () => {
    const author = await ConduitClient.registered({}, { baseUrl: apps[0].url });
    const { slug } = await author.publish();
    const fans = await Promise.all(Array.from({ length: 30 }, (_, i) => ConduitClient.registered({}, { baseUrl: apps[i % 2].url })));
    const before = await Promise.all(apps.map(conflictRetries));
    const statuses: Record<number, number> = {};
    const started = performance.now();
    // Each fan favorites, unfavorites and favorites again, all at once: every one of these increments or
    // decrements the article's favoritesCount, on galera-1 through app-1 and on galera-2 through app-2.
    for (const method of ['POST', 'DELETE', 'POST']) {
      const responses = await Promise.all(fans.map((fan) => fan.send(method, `/api/articles/${slug}/favorite`)));
      for (const response of responses) statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
    const seconds = (performance.now() - started) / 1000;
    const after = await Promise.all(apps.map(conflictRetries));
    const retried = after.reduce((sum, counts, i) => sum + (counts.retried ?? 0) - (before[i].retried ?? 0), 0);
    const absorbed = after.reduce((sum, counts, i) => sum + (counts.absorbed ?? 0) - (before[i].absorbed ?? 0), 0);
    const exhausted = after.reduce((sum, counts, i) => sum + (counts.exhausted ?? 0) - (before[i].exhausted ?? 0), 0);

    const article = `(SELECT id FROM ${app.database}.conduit_article WHERE slug = '${slug}')`;
    const favorites = await Promise.all(nodes.map((node) => countOn(node, `SELECT COUNT(*) FROM ${app.database}.conduit_favorite WHERE article_id = ${article}`)));
    const counters = await Promise.all(nodes.map((node) => countOn(node, `SELECT favorites_count FROM ${app.database}.conduit_article WHERE slug = '${slug}'`)));
    const divergence = detectDivergence(await ringChecksums(nodes, [`${app.database}.conduit_favorite`, `${app.database}.conduit_article`]));
    report(
      `90 favorite writes on one article from both app servers in ${seconds.toFixed(1)} s: statuses ${JSON.stringify(statuses)}; ` +
        `${retried} runs again after a conflict (${(retried / seconds).toFixed(1)}/s), ${absorbed} requests absorbed them, ${exhausted} gave up; ` +
        `favorites per node ${favorites}, favoritesCount per node ${counters}`,
    );

    expect(statuses).toEqual({ 200: 90 });
    expect(favorites).toEqual([30, 30, 30]);
    expect(counters).toEqual([30, 30, 30]);
    expect(nodesAgree(divergence)).toBe(true);
    expect(exhausted).toBe(0);
  }, 120_000);

  it('should read every write back on the other app server, from a member that waited for its token: 300 pairs, 0 stale', async () => {
    const { stale, tally } = await readBackAcrossAppServers(apps, { pairs: 300, tally: 'x-db-route' });
    report(`300 write→read pairs across the two app servers: ${stale} stale; routes ${JSON.stringify(tally)}`);

    expect(stale).toBe(0);
  }, 120_000);

  it('should lose no request beyond those in flight when the member an app server writes to is killed, and take it back once it rejoins', async () => {
    const writer = await ConduitClient.registered({}, { baseUrl: lb.url });
    const { slug } = await writer.publish();
    const outcomes = { ok: 0, failed: 0 };
    const failures: Record<string, number> = {};
    let stopped = false;
    const CLIENTS = 4;
    const loops = Array.from({ length: CLIENTS }, (_, client) =>
      (async () => {
        for (let i = 0; !stopped; i++) {
          const response =
            i % 2 === 0
              ? await writer.send('POST', `/api/articles/${slug}/comments`, { comment: { body: `client ${client}, comment ${i}` } })
              : await writer.send('GET', `/api/articles/${slug}/comments`);
          if (response.status === 200 || response.status === 201) outcomes.ok++;
          else {
            outcomes.failed++;
            failures[response.status] = (failures[response.status] ?? 0) + 1;
          }
        }
      })(),
    );
    let rejoinMs: number;
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await killGaleraNode(one);
      await new Promise((resolve) => setTimeout(resolve, 5000));
      const rejoinStarted = performance.now();
      await restartGaleraNode(one);
      await waitForSynced(nodes, 3);
      rejoinMs = performance.now() - rejoinStarted;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      stopped = true;
      await Promise.all(loops);
    }
    const view = (await (await fetch(`${apps[0].url}/health/replication`)).json()) as { primary: { name: string } };
    report(
      `${outcomes.ok + outcomes.failed} requests through nginx while galera-1 was killed and rejoined: ${outcomes.failed} failed ${JSON.stringify(failures)}; ` +
        `rejoin (recover, IST, Synced) ${rejoinMs.toFixed(0)} ms; app-1 writes to ${view.primary.name} again`,
    );

    expect(outcomes.failed).toBeLessThanOrEqual(CLIENTS);
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(view.primary.name).toBe(one.address);
  }, 120_000);
});
