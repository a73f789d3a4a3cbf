import { posix } from 'node:path';
import {
  gtidPrimary,
  gtidReplicas,
  MARIADB_PORT,
  MARIADB_SQL_DIR,
  type MariaDbNode,
  REPLICATE_FROM_SQL,
  replicationSettings,
  ringNodes,
  ringSourceOf,
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
  isExecutable,
  mountsOf,
  namedVolumeMountsOf,
  publishedPortsOf,
  readRepoFile,
} from './compose-file';
import { isPinned } from './dockerfile';

// docker-compose.yml's MariaDB profiles (issue 13, docs/mariadb.md) against the native harnesses they mirror
// (stack/native/mariadb.ts): the same nodes, replication settings, users and grants, read as a file (no Docker
// engine runs where these tests run).

/** Each compose service of the two profiles, and the native harness node it runs. */
const NODES_BY_PROFILE: Record<string, Record<string, MariaDbNode>> = {
  mariadb: { 'mariadb-primary': gtidPrimary, 'mariadb-replica-1': gtidReplicas[0], 'mariadb-replica-2': gtidReplicas[1] },
  'mariadb-ring': { 'mariadb-ring-a': ringNodes[0], 'mariadb-ring-b': ringNodes[1], 'mariadb-ring-c': ringNodes[2] },
};
const NATIVE_NODE_OF: Record<string, MariaDbNode> = Object.assign({}, ...Object.values(NODES_BY_PROFILE));
const MARIADB_SERVICES = Object.keys(NATIVE_NODE_OF);
const serviceOf = (node: MariaDbNode): string => MARIADB_SERVICES.find((name) => NATIVE_NODE_OF[name] === node) ?? '(none)';

/** The node each replicating node replicates from, natively: the replicas from the primary, a ring node from the one before it. */
const NATIVE_SOURCE_OF = new Map<MariaDbNode, MariaDbNode>([
  ...gtidReplicas.map((replica) => [replica, gtidPrimary] as const),
  ...ringNodes.map((node) => [node, ringSourceOf(node)] as const),
]);
const REPLICATING_SERVICES = MARIADB_SERVICES.filter((name) => NATIVE_SOURCE_OF.has(NATIVE_NODE_OF[name]));
const REPLICA_SERVICES = gtidReplicas.map(serviceOf);

const INIT_SCRIPT = 'docker/mariadb/init-node.sh';
const INIT_DIR = '/docker-entrypoint-initdb.d';
/** The flags that name the node itself rather than configure it: natively its address, in compose its service name. */
const IDENTITY_FLAGS = ['report-host'];

const withoutIdentity = (flags: Record<string, string>) =>
  Object.fromEntries(Object.entries(flags).filter(([name]) => !IDENTITY_FLAGS.includes(name)));
/** The values the placeholders of stack/mariadb/*.sql take in a service, as Compose runs it with no variable set. */
const valuesAsRun = (name: string): Record<string, string> => environmentOf(composeAsRun.services[name]);
const mountOf = (name: string, source: string) => mountsOf(composeService(name)).find((mount) => mount.source === source);

describe('docker-compose.yml: MariaDB (issue 13, docs/mariadb.md)', () => {
  describe('profiles', () => {
    it('should leave the default project unchanged: no MariaDB service starts without its profile', () => {
      expect(DEFAULT_COMPOSE_SERVICES.filter((name) => MARIADB_SERVICES.includes(name))).toEqual([]);
    });

    it.each(Object.entries(NODES_BY_PROFILE))('should run in profile %s exactly the nodes of its native harness', (profile, nodes) => {
      const inProfile = Object.keys(compose.services).filter((name) => compose.services[name].profiles?.includes(profile));

      expect(inProfile.sort()).toEqual(Object.keys(nodes).sort());
      for (const name of inProfile) expect(composeService(name).profiles).toEqual([profile]);
    });
  });

  describe('the server', () => {
    it('should run every node on the official image, MariaDB 10.11 as natively, with a pinned tag', () => {
      const images = new Set(MARIADB_SERVICES.map((name) => composeService(name).image ?? '(none)'));

      expect(images.size).toBe(1);
      const [image] = images;
      expect(image).toMatch(/^mariadb:10\.11\.\d+$/);
      expect(isPinned(image)).toBe(true);
    });

    it.each(MARIADB_SERVICES)('should give %s the replication settings of its native node', (name) => {
      const flags = flagsOf(composeService(name));

      expect(withoutIdentity(flags)).toEqual(replicationSettings(NATIVE_NODE_OF[name]));
      expect(flags['report-host']).toBe(name);
    });

    it('should make the replicas, and only them, read_only', () => {
      const readOnly = MARIADB_SERVICES.filter((name) => flagsOf(composeService(name))['read-only'] === 'ON');

      expect(readOnly).toEqual(REPLICA_SERVICES);
    });

    it.each(MARIADB_SERVICES)('should keep the data of %s in a named volume of its own', (name) => {
      const [volume] = namedVolumeMountsOf(composeService(name)).filter((mount) => mount.target === '/var/lib/mysql');
      const holders = MARIADB_SERVICES.filter((other) => namedVolumeMountsOf(composeService(other)).some((mount) => mount.source === volume?.source));

      expect(volume?.source).toBe(`${name}-data`);
      expect(holders).toEqual([name]);
    });

    it.each(MARIADB_SERVICES)('should publish no port of %s: the nodes answer inside the project network', (name) => {
      expect(publishedPortsOf(composeService(name))).toEqual([]);
    });
  });

  describe('users and replication, set up from the harnesses\' own SQL', () => {
    it("should source the init script, so it has the entrypoint's functions", () => {
      // The image's entrypoint runs an executable .sh in a shell of its own, without docker_process_sql.
      expect(isExecutable(INIT_SCRIPT)).toBe(false);
      expect(readRepoFile(INIT_SCRIPT)).toMatch(/\bdocker_process_sql\b/);
    });

    it.each(MARIADB_SERVICES)('should mount the init script and stack/mariadb/ read-only into %s', (name) => {
      const script = mountOf(name, INIT_SCRIPT);
      const sqlDir = mountOf(name, posix.relative(ROOT, MARIADB_SQL_DIR));

      expect(script).toEqual({ source: INIT_SCRIPT, target: `${INIT_DIR}/init-node.sh`, readOnly: true });
      expect(sqlDir?.readOnly).toBe(true);
      for (const file of [USERS_SQL, REPLICATE_FROM_SQL]) expect(readRepoFile(INIT_SCRIPT)).toContain(posix.join(sqlDir?.target ?? '(no mount)', file));
    });

    it.each(MARIADB_SERVICES)('should create on %s the users and grants the harnesses create', (name) => {
      expect(sqlStatements(USERS_SQL, valuesAsRun(name))).toEqual(sqlStatements(USERS_SQL, usersSqlValues()));
    });

    it.each(MARIADB_SERVICES)('should read the passwords of %s from variables whose defaults are the native ones', (name) => {
      const environment = environmentOf(composeService(name));

      expect(environment.APP_PASSWORD).toBe(`\${MARIADB_APP_PASSWORD:-${usersSqlValues().APP_PASSWORD}}`);
      expect(environment.REPLICATOR_PASSWORD).toBe(`\${MARIADB_REPLICATOR_PASSWORD:-${usersSqlValues().REPLICATOR_PASSWORD}}`);
    });

    it('should give the app user only privileges on its database: no SUPER, no READ_ONLY ADMIN, nothing global', () => {
      const { APP_USER, APP_DATABASE } = usersSqlValues();
      const grants = sqlStatements(USERS_SQL, usersSqlValues())
        .map((statement) => /^GRANT (.+) ON (\S+) TO '([^']+)'@/.exec(statement))
        .filter((grant): grant is RegExpExecArray => grant !== null && grant[3] === APP_USER);
      const privileges = grants.flatMap(([, list]) => list.split(',').map((privilege) => privilege.trim().toUpperCase()));

      expect(grants.map(([, , on]) => on)).toEqual([`${APP_DATABASE}.*`]);
      expect(privileges).toEqual(expect.arrayContaining(['SELECT', 'INSERT', 'UPDATE', 'DELETE']));
      expect(privileges.filter((privilege) => /SUPER|READ.ONLY ADMIN|^ALL\b|REPLICATION|BINLOG|GRANT OPTION/.test(privilege))).toEqual([]);
    });

    it.each(MARIADB_SERVICES)("should leave %s's users to the init script, not to the image's own variables", (name) => {
      // The entrypoint creates MARIADB_USER, MARIADB_DATABASE and MARIADB_REPLICATION_USER inside the binary log,
      // so a replica would apply them again and stop (1396), and with grants other than the harnesses'.
      const imageVariables = ['MARIADB_USER', 'MARIADB_PASSWORD', 'MARIADB_DATABASE', 'MARIADB_REPLICATION_USER', 'MARIADB_MASTER_HOST'];

      expect(Object.keys(environmentOf(composeService(name))).filter((key) => imageVariables.includes(key))).toEqual([]);
    });

    it.each(MARIADB_SERVICES)('should let root in on %s only from inside its container', (name) => {
      expect(environmentOf(composeService(name)).MARIADB_ROOT_HOST).toBe('localhost');
    });

    it.each(REPLICATING_SERVICES)('should have %s replicate by GTID from the node its native node replicates from', (name) => {
      const source = NATIVE_SOURCE_OF.get(NATIVE_NODE_OF[name]) as MariaDbNode;
      const values = valuesAsRun(name);

      expect(values.SOURCE_HOST).toBe(serviceOf(source));
      expect(values.SOURCE_PORT).toBe(String(MARIADB_PORT));
      expect(sqlStatements(REPLICATE_FROM_SQL, values)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^CHANGE MASTER TO .*MASTER_USE_GTID=slave_pos\b/), 'START SLAVE']),
      );
    });

    it.each(MARIADB_SERVICES)('should give %s a value for every placeholder of the SQL it runs', (name) => {
      const files = REPLICATING_SERVICES.includes(name) ? [USERS_SQL, REPLICATE_FROM_SQL] : [USERS_SQL];
      const values = valuesAsRun(name);

      expect(files.flatMap(sqlPlaceholders).filter((placeholder) => !values[placeholder])).toEqual([]);
    });

    it('should not make the primary replicate from anyone', () => {
      expect(valuesAsRun(serviceOf(gtidPrimary)).SOURCE_HOST).toBeUndefined();
    });
  });

  describe('healthchecks and start order', () => {
    it.each(MARIADB_SERVICES)("should check that %s accepts connections and InnoDB is up, with the image's script", (name) => {
      expect(healthcheckCommandOf(composeService(name))).toEqual(expect.arrayContaining(['healthcheck.sh', '--connect', '--innodb_initialized']));
    });

    it.each(REPLICATING_SERVICES)('should call %s unhealthy once a replication thread has stopped, and let it read its replication status', (name) => {
      const check = healthcheckCommandOf(composeService(name));

      // healthcheck.sh reads the --replication_* options that come before --replication.
      expect(check.slice(check.indexOf('--replication_io'))).toEqual(['--replication_io', '--replication_sql', '--replication']);
      expect(environmentOf(composeService(name)).MARIADB_HEALTHCHECK_GRANTS).toBe('REPLICA MONITOR');
    });

    it.each(REPLICA_SERVICES)('should start %s once the primary is healthy (its replicator user exists)', (name) => {
      expect(dependenciesOf(composeService(name))).toEqual({ [serviceOf(gtidPrimary)]: 'service_healthy' });
    });

    it("should start the ring in order, its first node retrying its link to the last, which starts after it", () => {
      const [a, b, c] = ringNodes.map(serviceOf);

      expect([a, b, c].map((name) => dependenciesOf(composeService(name)))).toEqual([{}, { [a]: 'service_healthy' }, { [b]: 'service_healthy' }]);
      expect(sqlStatements(REPLICATE_FROM_SQL, valuesAsRun(a))).toEqual(expect.arrayContaining([expect.stringMatching(/MASTER_CONNECT_RETRY=1\b/)]));
    });
  });
});
