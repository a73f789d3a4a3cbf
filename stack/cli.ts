/**
 * The native stack, with compose's verbs:  npm run stack -- <verb> [args]
 *
 *   up [--no-build] [--with-prometheus]
 *                            build the app, start every service, wait until all are healthy (idempotent);
 *                            --with-prometheus also starts the optional prometheus. Starts nothing, and says
 *                            whose it is, while another checkout's stack runs on the same STACK_INDEX.
 *                            DB_DIALECT=mariadb: the same services on MariaDB (docs/mariadb.md);
 *                            DB_DIALECT=mariadb DB_TOPOLOGY=galera: a three-member Galera cluster,
 *                            mariadb-galera-1..3, in place of the primary and replicas (docs/galera.md). The
 *                            other verbs follow the dialect and topology `up` recorded, and `up` refuses
 *                            another while it runs
 *   down [--volumes]         stop everything by pid, remove namespaces; --volumes also deletes the data.
 *                            Never stops another checkout's stack on the same STACK_INDEX
 *   status                   each service: pid, address, healthy or not, a node's role (database, Redis)
 *   start <service>          start one service (db-replica-3 is cloned and added to db-replicas;
 *                            prometheus scrapes the apps at its address, port 9090; a Galera member
 *                            rejoins the others from its recovered position, by IST)
 *   stop <service> [--hard]  stop one service (--hard: SIGKILL, like a crash)
 *   logs <service> [-f]      print (or follow) a service's log
 *   psql <db-service> [-c SQL]   psql as postgres on that node
 *   exec <service> <command…>    run a command in the service's namespace (client: as the user)
 *   switchover <db-node>     planned switchover: Patroni makes that node the primary
 *   promote [<db-node>]      MariaDB stack, once the primary is stopped: the replica that applied the most by
 *                            GTID becomes the primary, the others replicate from it; refuses a <db-node> behind
 *                            another, naming the one ahead; refused on Galera (every member takes writes)
 *   mariadb <db-node> [-e SQL]   MariaDB stack: the mariadb client as root on that node (a Galera member too)
 *   redis-failover <redis-node>  planned Redis failover: the Sentinels make that node the master
 *   patronictl <args…>       Patroni's own CLI for the cluster (list, edit-config, history, …)
 *   migrate | seed           run the one-shot jobs
 *   backup [--full|--diff]   a pgBackRest backup copied from a standby (incremental unless --full or --diff;
 *                            the first one is full)
 *   restore --to <time>      the newest backup before <time>, replayed to it, in db-restore: a scratch server at
 *                            its own address, no member of the cluster and never in db-replicas
 *   restore --remove         stop db-restore and delete its data
 *   pgbackrest <args…>       pgBackRest's own CLI on the stack's repository (info, check, …)
 *   missing-packages [--tests]   the Debian packages the native stack (and with --tests, the tests) needs
 *                            and this machine lacks
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { runsMariaDb, runsPostgres, STACK_INDEX } from './topology';
import { inNamespace } from './native/daemons';
import { indexHolder } from './native/index-claim';
import { paths } from './native/paths';
import { MARIADB_CLIENT, socketOf } from './native/mariadb';
import { promote } from './native/mariadb-stack';
import { requestedDialect, requestedTopology, stackDialect } from './native/stack-state';
import { appEnv } from './native/services';
import { pgbackrest } from './native/backups';
import {
  down,
  missingPackages,
  patronictl,
  redisFailover,
  removeRestore,
  REQUIRED_PACKAGES,
  restore,
  runMigrate,
  stackService,
  stackServices,
  start,
  status,
  stop,
  switchover,
  takeBackup,
  TEST_PACKAGES,
  up,
} from './native/stack';

/** The verbs that drive Patroni or pgBackRest, which the MariaDB stack does not run. */
const POSTGRES_VERBS = ['psql', 'switchover', 'patronictl', 'backup', 'restore', 'pgbackrest'];

/** The verbs, from this file's header comment. */
const usage = () => (readFileSync(__filename, 'utf8').match(/\/\*\*([\s\S]*?)\*\//)?.[1] ?? '').replace(/^ \* ?/gm, '');

function exitWith(argv: string[], env?: NodeJS.ProcessEnv): never {
  const result = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env: env ?? process.env });
  process.exit(result.status ?? 1);
}

async function main(args: string[]): Promise<void> {
  const [verb, ...rest] = args;
  const flag = (name: string) => rest.includes(name);
  const target = () => {
    if (!rest[0]) throw new Error(`usage: npm run stack -- ${verb} <service>; services: ${stackServices().map((s) => s.name).join(', ')}`);
    return stackService(rest[0]).name;
  };
  if (POSTGRES_VERBS.includes(verb) && stackDialect() === 'mariadb') throw new Error(`${verb} is for the PostgreSQL stack; this one runs MariaDB (docs/mariadb.md)`);
  switch (verb) {
    case 'up':
      await up({ build: !flag('--no-build'), dialect: requestedDialect(), topology: requestedTopology() });
      if (flag('--with-prometheus')) await start('prometheus');
      return;
    case 'down':
      return down({ volumes: flag('--volumes') || flag('-v') });
    case 'status': {
      const holder = indexHolder();
      if (holder.by === 'another checkout') console.log(`(stack index ${STACK_INDEX} is held by ${holder.checkout}: its servers are not this checkout's)`);
      for (const s of await status()) {
        const state = s.pid === null ? 'stopped' : s.healthy ? 'healthy' : 'unhealthy';
        console.log(`${s.name.padEnd(17)}${state.padEnd(11)}${(s.role ?? '').padEnd(9)}${s.address.padEnd(14)}${s.pid ?? ''}`);
      }
      return;
    }
    case 'start':
      return start(target());
    case 'stop':
      console.log((await stop(target(), { hard: flag('--hard') })) ? `${rest[0]} stopped` : `${rest[0]} was not running`);
      return;
    case 'logs': {
      const file = paths.log(target());
      if (!existsSync(file)) throw new Error(`no log yet for ${rest[0]}`);
      return exitWith(flag('-f') ? ['tail', '-n', '100', '-f', file] : ['tail', '-n', '200', file]);
    }
    case 'psql': {
      const name = target();
      if (!runsPostgres(stackService(name))) throw new Error(`${name} is not a PostgreSQL node`);
      return exitWith(['psql', '-h', paths.socketDir(name), '-U', 'postgres', '-d', 'app', ...rest.slice(1)]);
    }
    case 'exec': {
      const name = target();
      if (rest.length < 2) throw new Error('usage: npm run stack -- exec <service> <command…>');
      return exitWith(inNamespace(name, rest.slice(1)));
    }
    case 'promote': {
      if (stackDialect() !== 'mariadb') throw new Error('promote is for the MariaDB stack: on PostgreSQL, Patroni promotes (switchover <db-node> for a planned one)');
      const promotion = await promote(rest[0] ? target() : undefined);
      const positions = promotion.candidates.map((c) => `${c.node} ${c.position}`).join(', ');
      console.log(`${promotion.promoted} is the primary (applied: ${positions}); replicating from it: ${promotion.repointed.join(', ') || 'none'}`);
      if (promotion.unreachable.length > 0) console.log(`not answering, re-pointed when started: ${promotion.unreachable.join(', ')}`);
      return;
    }
    case 'mariadb': {
      const name = target();
      if (!runsMariaDb(stackService(name))) throw new Error(`${name} is not a MariaDB node`);
      return exitWith([MARIADB_CLIENT, '--no-defaults', `--socket=${socketOf(name)}`, '--user=root', 'app', ...rest.slice(1)]);
    }
    case 'switchover':
      await switchover(target());
      console.log(`${rest[0]} is the primary`);
      return;
    case 'redis-failover': {
      const name = target();
      if (!['redis', 'redis-replica'].includes(stackService(name).kind)) throw new Error(`${name} is not a Redis node`);
      await redisFailover(name);
      console.log(`${name} is the Redis master`);
      return;
    }
    case 'patronictl':
      process.stdout.write(patronictl(rest));
      return;
    case 'backup': {
      const started = Date.now();
      const set = await takeBackup(flag('--full') ? 'full' : flag('--diff') ? 'diff' : 'incr');
      const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MB`;
      console.log(
        `backup ${set.label} (${set.type}) taken ${set.fromStandby ? 'from a standby' : 'ON THE PRIMARY'} in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
          `${mb(set.databaseBytes)} of data, ${mb(set.repositoryBytes)} added to the repository`,
      );
      return;
    }
    case 'restore': {
      if (flag('--remove')) return removeRestore();
      const to = rest[rest.indexOf('--to') + 1];
      if (!flag('--to') || !to) throw new Error("usage: npm run stack -- restore --to '<time, e.g. 2026-12-01 00:31:24+00>' | restore --remove");
      const started = Date.now();
      await restore(to);
      console.log(`restored to ${to} in ${((Date.now() - started) / 1000).toFixed(1)} s: npm run stack -- psql db-restore`);
      return;
    }
    case 'pgbackrest':
      process.stdout.write(await pgbackrest(rest));
      return;
    case 'missing-packages':
      console.log(missingPackages({ ...REQUIRED_PACKAGES, ...(flag('--tests') ? TEST_PACKAGES : {}) }).join(' '));
      return;
    case 'migrate':
      return runMigrate(console.log);
    case 'seed':
      return exitWith(inNamespace('migrate', [process.execPath, paths.seedMain]), appEnv('seed'));
    default:
      console.log(usage());
      process.exit(verb ? 2 : 0);
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`stack: ${error.message}`);
  process.exit(1);
});
