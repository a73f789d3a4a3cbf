import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { GALERA_GTID_DOMAIN, GALERA_PROVIDER, GALERA_SERVER_ID, galeraNodes, galeraOptions } from '../../stack/native/galera';
import {
  MARIADB_PORT,
  MARIADB_SQL_DIR,
  type MariaDbNode,
  replicationSettings,
  sqlPlaceholders,
  sqlStatements,
  USERS_SQL,
  usersSqlValues,
} from '../../stack/native/mariadb';
import {
  DEFAULT_COMPOSE_SERVICES,
  ROOT,
  compose,
  composeAsRun,
  composeService,
  dependenciesOf,
  environmentOf,
  flagsOf,
  healthcheckCommandOf,
  mountsOf,
  namedVolumeMountsOf,
  publishedPortsOf,
  readRepoFile,
  splitAssignment,
} from './compose-file';

// docker-compose.yml's `galera` profile (issue 13, docs/galera.md, "In compose") against the native Galera harness
// it mirrors (stack/native/galera.ts): the same three nodes, wsrep and GTID settings, and users, read as a file (no
// Docker engine runs where these tests run). The first node starts the cluster; the others join it one at a time.

const PROFILE = 'galera';
/** Each compose service of the profile, in start order, and the native harness node it runs. */
const NATIVE_NODE_OF: Record<string, MariaDbNode> = {
  'mariadb-galera-1': galeraNodes[0],
  'mariadb-galera-2': galeraNodes[1],
  'mariadb-galera-3': galeraNodes[2],
};
const GALERA_SERVICES = Object.keys(NATIVE_NODE_OF);
const [FIRST, ...JOINERS] = GALERA_SERVICES;

const DATA_DIR = '/var/lib/mysql';
const BOOTSTRAP_SCRIPT = 'docker/mariadb/galera-bootstrap.sh';
const BOOTSTRAP_TARGET = '/usr/local/bin/galera-bootstrap.sh';
const INIT_SCRIPT = 'docker/mariadb/init-node.sh';
const INIT_TARGET = '/docker-entrypoint-initdb.d/init-node.sh';
const SQL_DIR = posix.relative(ROOT, MARIADB_SQL_DIR);
const NEW_CLUSTER = '--wsrep-new-cluster';

/**
 * The flags that name the node itself rather than configure it: natively its address and its harness name, in
 * compose its service name, which Docker's DNS resolves.
 */
const IDENTITY_FLAGS = ['report-host', 'wsrep-cluster-address', 'wsrep-node-address', 'wsrep-node-name', 'wsrep-node-incoming-address'];

/** `--name=value` arguments as a record, as flagsOf reads a service's command. */
const flagsOfArguments = (args: readonly string[]): Record<string, string> =>
  Object.fromEntries(args.filter((arg) => arg.startsWith('--')).map((arg) => splitAssignment(arg.slice(2))));
const withoutIdentity = (flags: Record<string, string>) =>
  Object.fromEntries(Object.entries(flags).filter(([name]) => !IDENTITY_FLAGS.includes(name)));

/** What the harness starts a node with (mariadbdCommand): its replicationSettings, then its wsrep options (galeraOptions). */
const nativeFlagsOf = (node: MariaDbNode): Record<string, string> => ({ ...replicationSettings(node), ...flagsOfArguments(node.options ?? []) });
/** The same settings as compose must give them: galeraOptions for a node named, and reached, by its service name. */
const expectedComposeFlagsOf = (name: string): Record<string, string> => ({
  ...replicationSettings(NATIVE_NODE_OF[name]),
  'report-host': name,
  ...flagsOfArguments(galeraOptions({ name, address: name }, GALERA_SERVICES)),
});

const valuesAsRun = (name: string): Record<string, string> => environmentOf(composeAsRun.services[name]);
const mountOf = (name: string, source: string) => mountsOf(composeService(name)).find((mount) => mount.source === source);

/**
 * Runs docker/mariadb/galera-bootstrap.sh with its data directory at `dataDir` and a stand-in for the image's
 * entrypoint that prints the arguments it was given, and returns them.
 */
function bootstrapArguments(dataDir: string, args: string[]): string[] {
  const sandbox = mkdtempSync(join(tmpdir(), 'galera-bootstrap-'));
  try {
    const bin = join(sandbox, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'docker-entrypoint.sh'), '#!/bin/sh\nprintf "%s\\n" "$@"\n');
    chmodSync(join(bin, 'docker-entrypoint.sh'), 0o755);
    const script = join(sandbox, 'galera-bootstrap.sh');
    writeFileSync(script, readRepoFile(BOOTSTRAP_SCRIPT).replaceAll(DATA_DIR, dataDir));
    const output = execFileSync('bash', [script, ...args], { env: { PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return output.split('\n').filter((line) => line !== '');
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}

describe('docker-compose.yml: Galera (issue 13, docs/galera.md)', () => {
  describe('the profile', () => {
    it('should run in profile galera exactly the three nodes of the native harness', () => {
      const inProfile = Object.keys(compose.services).filter((name) => compose.services[name].profiles?.includes(PROFILE));

      expect(inProfile.sort()).toEqual([...GALERA_SERVICES].sort());
      expect(Object.values(NATIVE_NODE_OF)).toEqual(galeraNodes);
      for (const name of inProfile) expect(composeService(name).profiles).toEqual([PROFILE]);
    });

    it('should leave the default project unchanged: no Galera node starts without its profile', () => {
      expect(DEFAULT_COMPOSE_SERVICES.filter((name) => GALERA_SERVICES.includes(name))).toEqual([]);
    });
  });

  describe('the server', () => {
    it('should run every node on the image of the other MariaDB profiles', () => {
      for (const name of GALERA_SERVICES) expect(composeService(name).image).toBe(composeService('mariadb-primary').image);
    });

    it.each(GALERA_SERVICES)('should give %s the replication and wsrep settings of its native node, its own identity aside', (name) => {
      expect(withoutIdentity(flagsOf(composeService(name)))).toEqual(withoutIdentity(nativeFlagsOf(NATIVE_NODE_OF[name])));
    });

    it.each(GALERA_SERVICES)('should name %s after its service, and list the three services as the cluster', (name) => {
      expect(flagsOf(composeService(name))).toEqual(expectedComposeFlagsOf(name));
      expect(flagsOf(composeService(name))['wsrep-cluster-address']).toBe(`gcomm://${GALERA_SERVICES.join(',')}`);
      expect(flagsOf(composeService(name))['wsrep-node-incoming-address']).toBe(`${name}:${MARIADB_PORT}`);
    });

    it('should give every node the provider of galera-4, one server_id and one GTID domain for write sets, and rsync transfers', () => {
      for (const name of GALERA_SERVICES) {
        const flags = flagsOf(composeService(name));

        // galera-4's path, which the image's mariadb-server package depends on, as Debian's does.
        expect(flags['wsrep-provider']).toBe(GALERA_PROVIDER);
        expect(flags['wsrep-provider']).toBe('/usr/lib/galera/libgalera_smm.so');
        expect(flags['server-id']).toBe(String(GALERA_SERVER_ID));
        expect([flags['wsrep-gtid-mode'], flags['wsrep-gtid-domain-id']]).toEqual(['ON', String(GALERA_GTID_DOMAIN)]);
        expect(flags['wsrep-sst-method']).toBe('rsync');
      }
    });

    it.each(GALERA_SERVICES)('should keep the data of %s in a named volume of its own', (name) => {
      const [volume] = namedVolumeMountsOf(composeService(name)).filter((mount) => mount.target === DATA_DIR);
      const holders = Object.keys(compose.services).filter((other) => namedVolumeMountsOf(composeService(other)).some((mount) => mount.source === volume?.source));

      expect(volume?.source).toBe(`${name}-data`);
      expect(holders).toEqual([name]);
    });

    it.each(GALERA_SERVICES)('should publish no port of %s: the nodes answer inside the project network', (name) => {
      expect(publishedPortsOf(composeService(name))).toEqual([]);
    });
  });

  describe('starting the cluster', () => {
    it('should start a new cluster from the first node only, through the bootstrap script around the image\'s entrypoint', () => {
      expect(composeService(FIRST).entrypoint).toEqual(['bash', BOOTSTRAP_TARGET]);
      expect(mountOf(FIRST, BOOTSTRAP_SCRIPT)).toEqual({ source: BOOTSTRAP_SCRIPT, target: BOOTSTRAP_TARGET, readOnly: true });
      for (const name of JOINERS) expect(composeService(name).entrypoint).toBeUndefined();
    });

    it.each(GALERA_SERVICES)('should never start %s with --wsrep-new-cluster on its command line, whatever its volume holds', (name) => {
      expect(flagsOf(composeService(name))).not.toHaveProperty(NEW_CLUSTER.slice(2));
    });

    describe('the bootstrap script', () => {
      let dataDir: string;
      const args = ['--server-id=21', '--wsrep-on=ON'];

      beforeEach(() => {
        dataDir = mkdtempSync(join(tmpdir(), 'galera-data-'));
      });
      afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

      const initialised = (grastate?: string) => {
        mkdirSync(join(dataDir, 'mysql'));
        if (grastate !== undefined) writeFileSync(join(dataDir, 'grastate.dat'), `# GALERA saved state\nversion: 2.1\nuuid: 1a2b\nseqno: 7\n${grastate}\n`);
      };

      it('should read the data directory the first node mounts its volume on', () => {
        expect(namedVolumeMountsOf(composeService(FIRST)).map((mount) => mount.target)).toEqual([DATA_DIR]);
        expect(readRepoFile(BOOTSTRAP_SCRIPT)).toContain(`datadir=${DATA_DIR}\n`);
      });

      it('should start a new cluster on an empty volume, passing the command on to the image\'s entrypoint', () => {
        expect(bootstrapArguments(dataDir, args)).toEqual([...args, NEW_CLUSTER]);
      });

      it('should start the cluster again on the node that left it last (safe_to_bootstrap: 1)', () => {
        initialised('safe_to_bootstrap: 1');

        expect(bootstrapArguments(dataDir, args)).toEqual([...args, NEW_CLUSTER]);
      });

      it.each([['killed, or left while others ran', 'safe_to_bootstrap: 0'], ['no saved state', undefined]])(
        'should join, not bootstrap, once the volume holds data: %s',
        (_case, grastate) => {
          initialised(grastate);

          expect(bootstrapArguments(dataDir, args)).toEqual(args);
        },
      );
    });

    it('should start the joiners one at a time, each once the nodes before it are healthy', () => {
      expect(GALERA_SERVICES.map((name) => dependenciesOf(composeService(name)))).toEqual([
        {},
        { [FIRST]: 'service_healthy' },
        { [FIRST]: 'service_healthy', [JOINERS[0]]: 'service_healthy' },
      ]);
    });
  });

  describe('healthchecks', () => {
    it.each(GALERA_SERVICES)("should call %s healthy only once Synced and ready, with the image's script", (name) => {
      const check = healthcheckCommandOf(composeService(name));

      expect(check.slice(0, 2)).toEqual(['CMD', 'healthcheck.sh']);
      expect(check).toEqual(expect.arrayContaining(['--connect', '--innodb_initialized', '--galera_online', '--galera_ready']));
    });

    it.each(GALERA_SERVICES)('should log %s\'s check in as mysql@localhost by its socket, whatever password file the volume holds', (name) => {
      const check = healthcheckCommandOf(composeService(name));

      // --su-mysql runs the script again as mysql with the options after it only; --no-defaults then drops the
      // volume's .my-healthcheck.cnf, whose password a joiner's state transfer leaves stale.
      expect(check.slice(2, 4)).toEqual(['--su-mysql', '--no-defaults']);
      expect(environmentOf(composeService(name)).MARIADB_MYSQL_LOCALHOST_USER).toBe('1');
    });
  });

  describe("the app's users, made on the first node from the harness's own SQL", () => {
    it('should mount the init script and stack/mariadb/ read-only into the first node', () => {
      expect(mountOf(FIRST, INIT_SCRIPT)).toEqual({ source: INIT_SCRIPT, target: INIT_TARGET, readOnly: true });
      expect(mountOf(FIRST, SQL_DIR)?.readOnly).toBe(true);
      expect(readRepoFile(INIT_SCRIPT)).toContain(posix.join(mountOf(FIRST, SQL_DIR)?.target ?? '(no mount)', USERS_SQL));
    });

    it('should create on the first node the users and grants the harness creates', () => {
      expect(sqlStatements(USERS_SQL, valuesAsRun(FIRST))).toEqual(sqlStatements(USERS_SQL, usersSqlValues()));
      expect(sqlPlaceholders(USERS_SQL).filter((placeholder) => !valuesAsRun(FIRST)[placeholder])).toEqual([]);
    });

    it('should replicate from no one: init-node.sh runs replicate-from.sql only for a SOURCE_HOST', () => {
      for (const name of GALERA_SERVICES) expect(valuesAsRun(name).SOURCE_HOST).toBeUndefined();
    });

    it.each(JOINERS)('should leave %s to receive the users with its state transfer, running no SQL of its own', (name) => {
      expect(mountOf(name, INIT_SCRIPT)).toBeUndefined();
      expect(mountOf(name, SQL_DIR)).toBeUndefined();
    });

    it.each(GALERA_SERVICES)('should read the passwords of %s from variables whose defaults are the native ones', (name) => {
      const environment = environmentOf(composeService(name));

      expect(environment.APP_PASSWORD).toBe(`\${MARIADB_APP_PASSWORD:-${usersSqlValues().APP_PASSWORD}}`);
      expect(environment.MARIADB_ROOT_PASSWORD).toBe(environmentOf(composeService('mariadb-primary')).MARIADB_ROOT_PASSWORD);
    });

    it.each(GALERA_SERVICES)("should let root in on %s only from inside its container, and leave users to users.sql, not the image's variables", (name) => {
      const imageVariables = ['MARIADB_USER', 'MARIADB_PASSWORD', 'MARIADB_DATABASE', 'MARIADB_REPLICATION_USER', 'MARIADB_MASTER_HOST'];
      const environment = environmentOf(composeService(name));

      expect(environment.MARIADB_ROOT_HOST).toBe('localhost');
      expect(Object.keys(environment).filter((key) => imageVariables.includes(key))).toEqual([]);
    });
  });
});
