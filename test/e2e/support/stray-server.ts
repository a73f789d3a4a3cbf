import { ChildProcess, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { inNamespace, killAndWait } from '../../../stack/native/daemons';
import { ensureNamespace, namespaceExists, namespacePids, removeNamespace } from '../../../stack/native/netns';
import { PG_BIN } from '../../../stack/native/paths';
import { credentials } from '../../../stack/native/postgres';
import { run, succeeds } from '../../../stack/native/shell';
import { namespaceOf, service, SUBNET_PREFIX } from '../../../stack/topology';
import { until } from './stack-control';

const AS_POSTGRES = ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'];

/** Its own namespace and address on the stack's bridge, outside the topology: nothing of the stack knows it. */
const SPEC = { name: 'stray-server', kind: 'postgres-replica' as const, address: `${SUBNET_PREFIX}.98`, port: 5432 };

/**
 * A PostgreSQL server that takes writes where the app may probe, but that Patroni does not lead: nothing answers on
 * its port 8008. Either a copy of the stack's cluster restored by hand from a base backup of the leader and
 * promoted (the cluster's system identifier, a later timeline: what an operator's PITR restore looks like to the
 * app), or a cluster of its own (another system identifier). Lives in a namespace of the stack's (so `down`
 * removes it even if `remove()` never runs) and a scratch directory.
 */
export class StrayServer {
  private constructor(
    private readonly dir: string,
    private readonly server: ChildProcess,
  ) {}

  static readonly address = SPEC.address;

  /** A copy of the cluster: backs up `leader` (a node of the stack), starts the copy and promotes it. */
  static restoredFrom(leader: string): Promise<StrayServer> {
    return StrayServer.start(async (data) => {
      const { user, password } = credentials.replicator;
      run([...AS_POSTGRES, `${PG_BIN}/pg_basebackup`, '-h', service(leader).address, '-U', user, '-D', data, '-X', 'stream', '-c', 'fast'], {
        env: { ...process.env, PGPASSWORD: password },
      });
      // standby.signal with no primary_conninfo: it replays the backup's WAL and waits, until promoted onto a
      // timeline of its own.
      return { 'standby.signal': '' };
    }, async (stray) => {
      await stray.query('SELECT pg_promote()');
      await until('the restored copy to be promoted', async () => !(await stray.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0].r, 30_000);
    });
  }

  /** A cluster of its own, with the app's role and database (the app's probes log in), and nothing else. */
  static ofAnotherCluster(): Promise<StrayServer> {
    return StrayServer.start(async (data) => {
      run([...AS_POSTGRES, `${PG_BIN}/initdb`, '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256']);
      return { 'pg_hba.conf': 'local all all trust\nhost all all all scram-sha-256\n' };
    }, async (stray) => {
      const { user, password, database } = credentials.app;
      await stray.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`, 'postgres');
      await stray.query(`CREATE DATABASE ${database} OWNER ${user}`, 'postgres');
    });
  }

  /**
   * Makes the data directory (`create`, as postgres, returns files to write into it), starts the server with a
   * configuration of its own (address, paths: a copy's postgresql.conf is Patroni's, naming the leader's), then
   * `prepare`s it. Whatever fails, what was made is removed.
   */
  private static async start(create: (data: string) => Promise<Record<string, string>>, prepare: (stray: StrayServer) => Promise<void>): Promise<StrayServer> {
    const dir = mkdtempSync('/tmp/nrs-stray-server-');
    const output = { text: '' };
    let server: ChildProcess | undefined;
    try {
      const data = join(dir, 'data');
      const ids = { uid: Number(run(['id', '-u', 'postgres'])), gid: Number(run(['id', '-g', 'postgres'])) };
      chownSync(dir, ids.uid, ids.gid);
      const files = await create(data);
      const conf = [
        `listen_addresses = '${SPEC.address}'`,
        'port = 5432',
        `unix_socket_directories = '${dir}'`,
        `hba_file = '${join(data, 'pg_hba.conf')}'`,
        `ident_file = '${join(data, 'pg_ident.conf')}'`,
        `node.name = '${SPEC.name}'`,
        'fsync = off',
      ];
      for (const [file, text] of Object.entries({ ...files, 'postgresql.conf': `${conf.join('\n')}\n` })) {
        writeFileSync(join(data, file), text);
        chownSync(join(data, file), ids.uid, ids.gid);
      }
      ensureNamespace(SPEC);
      const [command, ...args] = inNamespace(SPEC.name, [`${PG_BIN}/postgres`, '-D', data], 'postgres');
      server = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      server.stdout?.on('data', (d) => (output.text += d));
      server.stderr?.on('data', (d) => (output.text += d));
      const stray = new StrayServer(dir, server);
      await until('the stray server to accept connections', () => stray.query('SELECT 1', 'postgres'), 30_000);
      await prepare(stray);
      return stray;
    } catch (error) {
      await removeStray(dir, server);
      throw new Error(`${(error as Error).message}\n${output.text}`, { cause: error });
    }
  }

  /** SQL as superuser over the server's own socket, in the app's database unless told. */
  async query<T = Record<string, unknown>>(sql: string, database = credentials.app.database): Promise<T[]> {
    const client = new Client({ host: this.dir, user: 'postgres', database, connectionTimeoutMillis: 2000 });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Stops the server (and anything else in its namespace), removes the namespace and the data. */
  remove(): Promise<void> {
    return removeStray(this.dir, this.server);
  }
}

async function removeStray(dir: string, server: ChildProcess | undefined): Promise<void> {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGINT'); // PostgreSQL's fast shutdown
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  if (namespaceExists(SPEC.name)) {
    for (const pid of namespacePids(namespaceOf(SPEC.name))) await killAndWait(pid, 'SIGKILL', 5000);
    removeNamespace(namespaceOf(SPEC.name));
  }
  // The next stray gets the same address and another MAC: forget this one's, or this machine keeps sending
  // there until the neighbour entry goes stale (seconds in which the next one seems unreachable).
  succeeds(['ip', 'neigh', 'flush', 'to', SPEC.address]);
  rmSync(dir, { recursive: true, force: true });
}
