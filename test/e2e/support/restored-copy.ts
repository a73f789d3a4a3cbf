import { ChildProcess, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { inNamespace, killAndWait } from '../../../stack/native/daemons';
import { ensureNamespace, namespaceExists, namespacePids, removeNamespace } from '../../../stack/native/netns';
import { PG_BIN } from '../../../stack/native/paths';
import { credentials } from '../../../stack/native/postgres';
import { run } from '../../../stack/native/shell';
import { namespaceOf, service, SUBNET_PREFIX } from '../../../stack/topology';
import { until } from './stack-control';

/** Its own namespace and address on the stack's bridge, outside the topology: nothing of the stack knows it. */
const SPEC = { name: 'restored-copy', kind: 'postgres-replica' as const, address: `${SUBNET_PREFIX}.98`, port: 5432 };

/**
 * A copy of the stack's cluster restored by hand from a base backup of the leader and promoted: the cluster's
 * system identifier, a later timeline, writable, and no Patroni (nothing answers on its port 8008). What an
 * operator's PITR restore looks like to the app, were its address among those the app probes. Lives in a
 * namespace of the stack's (so `down` removes it even if `remove()` never runs) and a scratch directory.
 */
export class RestoredCopy {
  private constructor(
    private readonly dir: string,
    private readonly server: ChildProcess,
    private readonly output: { text: string },
  ) {}

  static readonly address = SPEC.address;

  /** Backs up the leader (`leader`: a node of the stack), starts the copy and promotes it. */
  static async promotedFrom(leader: string): Promise<RestoredCopy> {
    const dir = mkdtempSync('/tmp/nrs-restored-copy-');
    const output = { text: '' };
    let server: ChildProcess | undefined;
    try {
      const data = join(dir, 'data');
      const ids = { uid: Number(run(['id', '-u', 'postgres'])), gid: Number(run(['id', '-g', 'postgres'])) };
      chownSync(dir, ids.uid, ids.gid);
      const { user, password } = credentials.replicator;
      run(['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--', `${PG_BIN}/pg_basebackup`, '-h', service(leader).address, '-U', user, '-D', data, '-X', 'stream', '-c', 'fast'], {
        env: { ...process.env, PGPASSWORD: password },
      });
      // Patroni's postgresql.conf names its own paths and address; the copy gets its own. standby.signal with no
      // primary_conninfo: it replays the backup's WAL and waits, until promoted onto a timeline of its own.
      const conf = [
        `listen_addresses = '${SPEC.address}'`,
        'port = 5432',
        `unix_socket_directories = '${dir}'`,
        `hba_file = '${join(data, 'pg_hba.conf')}'`,
        `ident_file = '${join(data, 'pg_ident.conf')}'`,
        "node.name = 'restored-copy'",
        'fsync = off',
      ];
      for (const [file, text] of [['postgresql.conf', `${conf.join('\n')}\n`], ['standby.signal', '']]) {
        writeFileSync(join(data, file), text);
        chownSync(join(data, file), ids.uid, ids.gid);
      }
      ensureNamespace(SPEC);
      const [command, ...args] = inNamespace(SPEC.name, [`${PG_BIN}/postgres`, '-D', data], 'postgres');
      server = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      server.stdout?.on('data', (d) => (output.text += d));
      server.stderr?.on('data', (d) => (output.text += d));
      const copy = new RestoredCopy(dir, server, output);
      await until('the restored copy to accept connections', () => copy.query('SELECT 1'), 30_000);
      await copy.query('SELECT pg_promote()');
      await until('the restored copy to be promoted', async () => !(await copy.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0].r, 30_000);
      return copy;
    } catch (error) {
      await removeCopy(dir, server);
      throw new Error(`${(error as Error).message}\n${output.text}`, { cause: error });
    }
  }

  /** SQL as superuser over the copy's own socket, in the app's database. */
  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const client = new Client({ host: this.dir, user: 'postgres', database: credentials.app.database, connectionTimeoutMillis: 2000 });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  get logs(): string {
    return this.output.text;
  }

  /** Stops the server (and anything else in its namespace), removes the namespace and the data. */
  remove(): Promise<void> {
    return removeCopy(this.dir, this.server);
  }
}

async function removeCopy(dir: string, server: ChildProcess | undefined): Promise<void> {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGINT'); // PostgreSQL's fast shutdown
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  if (namespaceExists(SPEC.name)) {
    for (const pid of namespacePids(namespaceOf(SPEC.name))) await killAndWait(pid, 'SIGKILL', 5000);
    removeNamespace(namespaceOf(SPEC.name));
  }
  rmSync(dir, { recursive: true, force: true });
}
