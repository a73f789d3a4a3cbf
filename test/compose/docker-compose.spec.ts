import { existsSync, readFileSync } from 'node:fs';
import { join, normalize, posix, relative } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/app-config';
import { RESTORE_NODE, STANZA } from '../../stack/native/backups';
import { recoveryConflictSettings } from '../../stack/native/postgres';
import { paths as nativePaths } from '../../stack/native/paths';
import { LB_OPERATORS_PORT, PATRONI_PORT, REPLICAS_NAME, SERVICES, type ServiceKind, service as topologyService } from '../../stack/topology';
import {
  COMPOSE_TEXT,
  DEFAULT_COMPOSE_SERVICES,
  INTERPOLATION,
  type Mount,
  ROOT,
  aliasesOf,
  builtDockerfiles,
  commandOf,
  compose,
  composeAsRun,
  composeService,
  dependenciesOf,
  dependencyClosureOf,
  dockerfileOf,
  envFilesOf,
  environmentOf,
  flagsOf,
  hasHealthcheck,
  healthcheckCommandOf,
  isExecutable,
  mountsOf,
  namedVolumeMountsOf,
  publishedPortsOf,
  readEnvFile,
  readRepoFile,
  scriptsOn,
  variablesOf,
} from './compose-file';
import { baseImagesOf, copiedFiles, entrypointOf, isPinned } from './dockerfile';

// docker-compose.yml cannot be run where these tests run (no Docker engine), so they check it as a file:
// against the Compose Specification, and against the native stack's topology, Patroni template, nginx config
// and app config.

const VENDORED_SCHEMA = 'test/compose/compose-spec.schema.json';
// The project's shared folder sits beside the repository on developers' machines, not always in CI.
const SHARED_SCHEMA = join(ROOT, '..', 'shared', 'compose-spec.schema.json');

/** The Patroni configuration every PostgreSQL node fills in, in compose and in the native stack. */
const PATRONI_TEMPLATE_DIR = 'stack/patroni';
const PATRONI_TEMPLATE = 'patroni.yml';
const PATRONI_POST_BOOTSTRAP = 'post-bootstrap.sh';
const PATRONI_DOCKERFILE = 'docker/patroni/Dockerfile';
const PATRONI_ENTRYPOINT = 'docker/patroni/entrypoint.sh';

// --- The topology, as stack/topology.ts describes it -----------------------------------------------------

const STACK_SERVICES = SERVICES.filter((s) => !s.optional);
const PROFILED_SERVICES = Object.keys(compose.services).filter((name) => !DEFAULT_COMPOSE_SERVICES.includes(name));
const MARIADB_PROFILES = ['mariadb', 'mariadb-ring', 'galera'];
const namesOfKind = (...kinds: ServiceKind[]): string[] =>
  STACK_SERVICES.filter((s) => kinds.includes(s.kind)).map((s) => s.name);

const [ETCD] = namesOfKind('etcd');
const [BACKUP] = namesOfKind('backup');
const [REDIS] = namesOfKind('redis');
const REDIS_NODES = [REDIS, ...namesOfKind('redis-replica')];
const SENTINELS = namesOfKind('redis-sentinel');
const [PRIMARY] = namesOfKind('postgres-primary');
const REPLICAS = namesOfKind('postgres-replica');
const ANALYTICS = namesOfKind('postgres-analytics');
/** The nodes pgBackRest backs up: not the analytics replica, whose replay may wait for a report (docs/analytics.md). */
const BACKED_UP_NODES = [PRIMARY, ...REPLICAS];
const POSTGRES_NODES = [...BACKED_UP_NODES, ...ANALYTICS];
/**
 * Jobs compose runs that the native topology does not list. The native stack loads the demo data with
 * `npm run stack -- seed` (`npm run setup` runs it after `up`), in migrate's namespace; compose runs it as a
 * service so that `docker compose up --wait` ends with the data there.
 */
const COMPOSE_ONLY_JOBS = ['seed'];
/** app-1, app-2, migrate and seed: the services that run the app's image and so read src/config/app-config.ts. */
const APP_IMAGE_SERVICES = [...namesOfKind('app', 'job'), ...COMPOSE_ONLY_JOBS];
/** Services that run once and exit: `restart: "no"`. */
const ONE_SHOT_JOBS = Object.keys(compose.services).filter((name) => compose.services[name].restart === 'no');
const LONG_RUNNING_SERVICES = [...STACK_SERVICES.filter((s) => s.kind !== 'job').map((s) => s.name), ...PROFILED_SERVICES];
const SERVICES_WITH_ALIASES = STACK_SERVICES.filter((s) => s.aliases?.length).map(
  (s) => [s.name, s.aliases ?? []] as const,
);

// --- The Patroni template's placeholders, which the entrypoint of a postgres node fills from its variables ----

const TEMPLATE_TEXT = readRepoFile(join(PATRONI_TEMPLATE_DIR, PATRONI_TEMPLATE));
const PLACEHOLDERS = [...new Set([...TEMPLATE_TEXT.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map(([, name]) => name))];

function patroniSettingsOf(name: string): Record<string, string> {
  const variables = variablesOf(composeService(name));
  return Object.fromEntries(PLACEHOLDERS.map((key) => [key, variables[key]]));
}

// --- Small factories for the expectations -------------------------------------------------------------------

const withCondition = (condition: string) => (...names: string[]) =>
  Object.fromEntries(names.map((name) => [name, condition]));
const healthy = withCondition('service_healthy');
const completed = withCondition('service_completed_successfully');

// Not on PRIMARY: roles move on failover, and the apps find the leader themselves (and the Redis master through
// the Sentinels). seed runs after migrate.
const appServerDependencies = { ...completed('seed'), ...healthy(...SENTINELS) };

const EXPECTED_DEPENDENCIES: Record<string, Record<string, string>> = {
  dns: {},
  [ETCD]: {},
  [REDIS]: {},
  // The Sentinels monitor redis by name, and the replica replicates it: it must answer first.
  ...Object.fromEntries([...REDIS_NODES.slice(1), ...SENTINELS].map((name) => [name, healthy(REDIS)])),
  [BACKUP]: {},
  // After backup: its archive_command writes through it, and its first start makes the certificates.
  [PRIMARY]: healthy(ETCD, BACKUP),
  // db-primary builds the image it runs.
  [RESTORE_NODE]: healthy(BACKUP, PRIMARY),
  // After the primary: on a new cluster, the node named db-primary is then the one that creates and leads it.
  ...Object.fromEntries([...REPLICAS, ...ANALYTICS].map((replica) => [replica, healthy(ETCD, PRIMARY)])),
  migrate: healthy(PRIMARY),
  seed: completed('migrate'),
  'app-1': appServerDependencies,
  'app-2': appServerDependencies,
  lb: healthy('app-1', 'app-2'),
  client: healthy('lb', 'dns'),
  prometheus: healthy('app-1', 'app-2'),
  grafana: healthy('prometheus'),
};

const ipv4ToNumber = (address: string): number =>
  address.split('.').reduce((total, octet) => total * 256 + Number(octet), 0);

function cidrContains(cidr: string, address: string): boolean {
  const [network, prefixLength] = cidr.split('/');
  const offset = ipv4ToNumber(address) - ipv4ToNumber(network);
  return offset >= 0 && offset < 2 ** (32 - Number(prefixLength));
}

/** `server host:port` lines inside nginx `upstream { }` blocks. */
function upstreamServers(nginxConfig: string): { host: string; port: number }[] {
  const blocks = [...nginxConfig.matchAll(/upstream\s+\S+\s*\{([^}]*)\}/g)].map(([, body]) => body);
  return blocks.flatMap((body) =>
    [...body.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map(([, host, port]) => ({ host, port: Number(port) })),
  );
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN/i;
const isInterpolationWithDefault = (value: string): boolean => /^\$\{[A-Za-z_][A-Za-z0-9_]*:-[^}]+\}$/.test(value);

/** Secret values the stack may use: the dev defaults of interpolations, and env_file entries. */
function knownSecretValues(): string[] {
  const defaults = [...COMPOSE_TEXT.matchAll(INTERPOLATION)]
    .filter(([, name]) => SECRET_NAME.test(name))
    .map(([, , value]) => value);
  const envFileEntries = Object.values(compose.services)
    .flatMap(envFilesOf)
    .map(readEnvFile)
    .flatMap((entries) => Object.entries(entries));
  const fromEnvFiles = envFileEntries.filter(([key]) => SECRET_NAME.test(key)).map(([, value]) => value);
  return [...new Set([...defaults, ...fromEnvFiles])].filter(Boolean);
}

function composeSchemaValidator() {
  // The schema names its draft "https://json-schema.org/draft-07/schema", a spelling Ajv has not registered
  // (it knows draft-07 as http://…): drop it, and Ajv checks the schema against its own draft-07 meta-schema.
  const schema = JSON.parse(readRepoFile(VENDORED_SCHEMA)) as Record<string, unknown>;
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('docker-compose.yml', () => {
  it.each([
    ['as written', compose],
    ['as Compose runs it, its variables interpolated', composeAsRun],
  ])('should be valid against the Compose Specification schema, %s', (_form, file) => {
    const validate = composeSchemaValidator();

    const valid = validate(file);

    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  // Skipped only in a clone with no ../shared beside it; CI and the workspace have it, and the vendored copy
  // is what the schema test above validates against either way.
  const itWhenSharedPresent = existsSync(SHARED_SCHEMA) ? it : it.skip;
  itWhenSharedPresent('should vendor the Compose Specification schema byte for byte from ../shared', () => {
    const vendored = readFileSync(join(ROOT, VENDORED_SCHEMA));

    expect(vendored.equals(readFileSync(SHARED_SCHEMA))).toBe(true);
  });

  it('should start exactly the services of the native topology and its own jobs, outside any profile', () => {
    const expected = [...STACK_SERVICES.map((s) => s.name), ...COMPOSE_ONLY_JOBS].sort();

    expect([...DEFAULT_COMPOSE_SERVICES].sort()).toEqual(expected);
  });

  it('should keep Prometheus and Grafana in the observability profile, db-restore in the restore one, optional natively too', () => {
    const optionalInTopology = SERVICES.filter((s) => s.optional).map((s) => s.name);
    // The MariaDB profiles run the second dialect's harnesses, no service of the stack: mariadb-compose.spec.ts and
    // galera-compose.spec.ts.
    const ofTheStack = PROFILED_SERVICES.filter((name) => !composeService(name).profiles?.some((profile) => MARIADB_PROFILES.includes(profile)));

    expect(ofTheStack.sort()).toEqual([RESTORE_NODE, 'grafana', 'prometheus']);
    for (const name of ['grafana', 'prometheus']) expect(composeService(name).profiles).toEqual(['observability']);
    expect(composeService(RESTORE_NODE).profiles).toEqual(['restore']);
    // Grafana has no Debian package, so the native stack runs Prometheus only.
    expect(PROFILED_SERVICES.filter((name) => SERVICES.some((s) => s.name === name))).toEqual(
      PROFILED_SERVICES.filter((name) => optionalInTopology.includes(name)),
    );
  });

  it('should have Prometheus scrape every app server on its topology port', () => {
    const config = parse(readRepoFile('observability/prometheus.yml')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };

    const targets = config.scrape_configs.flatMap((job) => job.static_configs.flatMap((c) => c.targets));

    expect(targets.sort()).toEqual(namesOfKind('app').map((name) => `${name}:${topologyService(name).port}`).sort());
  });

  it("should point Grafana's provisioned data source at the prometheus service", () => {
    const provisioning = parse(readRepoFile('observability/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; url: string }[];
    };

    expect(provisioning.datasources).toEqual([
      expect.objectContaining({ uid: 'prometheus', url: `http://prometheus:${topologyService('prometheus').port}` }),
    ]);
  });

  it('should point every nginx upstream server at a compose service, on its port in the topology', () => {
    // api.conf's block serves the native stack; docker/lb/app-servers.conf replaces it under compose.
    const servers = ['nginx/conf.d/api.conf', 'docker/lb/app-servers.conf'].flatMap((file) =>
      upstreamServers(readRepoFile(file)),
    );

    expect(servers.length).toBeGreaterThan(0);
    for (const { host, port } of servers) {
      expect(Object.keys(compose.services)).toContain(host);
      expect(`${host}:${port}`).toBe(`${host}:${topologyService(host).port}`);
    }
  });

  it.each(APP_IMAGE_SERVICES)('should give %s only variables that src/config/app-config.ts reads', (name) => {
    const known = Object.keys(configSchema.shape);

    const given = Object.keys(variablesOf(composeService(name)));

    expect(given.length).toBeGreaterThan(0);
    expect(given.filter((key) => !known.includes(key))).toEqual([]);
  });

  it.each(APP_IMAGE_SERVICES)('should name app instance %s after its service', (name) => {
    expect(variablesOf(composeService(name)).APP_INSTANCE).toBe(name);
  });

  it('should pin every image and every base image of the Dockerfiles it builds', () => {
    const images = Object.entries(compose.services).flatMap(([name, svc]) =>
      svc.image ? [svc.image] : svc.build ? [] : [`${name} (no image)`],
    );
    const baseImages = builtDockerfiles().flatMap((path) => baseImagesOf(readRepoFile(path)));

    expect(baseImages.length).toBeGreaterThan(0);
    expect([...images, ...baseImages].filter((image) => !isPinned(image))).toEqual([]);
  });

  describe('the demo data (seed)', () => {
    /** A script under dist/ as the native stack runs it (stack/native/paths.ts). */
    const nativeScript = (absolute: string): string => relative(ROOT, absolute);

    it('should run the script the native stack runs for `npm run stack -- seed`, and migrate its migrations', () => {
      expect(commandOf(composeService('seed'))).toEqual(['node', nativeScript(nativePaths.seedMain)]);
      expect(commandOf(composeService('migrate'))).toEqual(['node', nativeScript(nativePaths.migrateMain)]);
    });

    it('should run once, after migrate has succeeded', () => {
      const seed = composeService('seed');

      expect(seed.restart).toBe('no');
      expect(dependenciesOf(seed)).toEqual(completed('migrate'));
    });

    it.each(namesOfKind('app'))('should have succeeded before %s starts, so an app that reports ready has the data', (name) => {
      expect(dependenciesOf(composeService(name))).toEqual(expect.objectContaining(completed('seed')));
    });

    it('should have succeeded before lb, which the first request of the README goes through, reports healthy', () => {
      expect([...dependencyClosureOf('lb')]).toEqual(expect.arrayContaining(['seed', 'migrate']));
    });

    it.each(ONE_SHOT_JOBS)('should have a service wait for one-shot job %s to succeed, so `up --wait` returns 0', (job) => {
      // `docker compose up --wait` takes an exited container for ready only when another service waits for it
      // with service_completed_successfully (docker/compose#9572); any other one fails the command.
      const waiting = Object.values(compose.services).filter((svc) => dependenciesOf(svc)[job] === 'service_completed_successfully');

      expect(waiting.length).toBeGreaterThan(0);
    });
  });

  describe('images built here', () => {
    /** Image tag -> the services that run it, for the images some service builds. */
    const runnersOfBuiltImages = (): Map<string, string[]> => {
      const runners = new Map<string, string[]>();
      for (const [name, svc] of Object.entries(compose.services)) {
        if (svc.image) runners.set(svc.image, [...(runners.get(svc.image) ?? []), name]);
      }
      return new Map([...runners].filter(([, names]) => names.some((name) => compose.services[name].build)));
    };
    const builderOf = (image: string): string =>
      runnersOfBuiltImages().get(image)?.find((name) => compose.services[name].build) ?? '(no builder)';
    const nonBuildingRunners = [...runnersOfBuiltImages()].flatMap(([image, names]) =>
      names.filter((name) => !compose.services[name].build).map((name) => [name, image] as const),
    );

    it('should name every image it builds', () => {
      const unnamed = Object.entries(compose.services).filter(([, svc]) => svc.build && !svc.image);

      expect(unnamed).toEqual([]);
    });

    it('should declare `build:` on one service per image tag', () => {
      // Compose builds through `buildx bake`, one target per service with a `build:`; two targets exporting one
      // tag fail on a clean machine with `image "…" already exists` (Compose 2.38 – 2.40).
      const builders = [...runnersOfBuiltImages()].map(([image, names]) => [
        image,
        names.filter((name) => compose.services[name].build),
      ]);

      expect(builders.length).toBeGreaterThan(0);
      expect(builders.filter(([, names]) => names.length !== 1)).toEqual([]);
    });

    it.each(nonBuildingRunners)('should start %s, which runs %s, after the service that builds it', (name, image) => {
      // So `docker compose up <name>` brings the builder along, and its build, before the container is made.
      expect([...dependencyClosureOf(name)]).toContain(builderOf(image));
    });

    it.each(nonBuildingRunners)('should never pull %s\'s image %s: it is in no registry', (name) => {
      // Compose would otherwise try a registry first, and report the failure, before the builder builds it.
      expect(composeService(name).pull_policy).toBe('never');
    });

    it('should build the app image, and the Patroni image, on the first service of each to start', () => {
      expect(builderOf(composeService('app-1').image ?? '')).toBe('migrate');
      expect(builderOf(composeService(PRIMARY).image ?? '')).toBe(PRIMARY);
    });
  });

  it.each(LONG_RUNNING_SERVICES)('should give long-running service %s a healthcheck', (name) => {
    expect(hasHealthcheck(composeService(name))).toBe(true);
  });

  it.each(Object.entries(EXPECTED_DEPENDENCIES))(
    'should start %s only once its dependencies are ready',
    (name, expected) => {
      expect(dependenciesOf(composeService(name))).toEqual(expected);
    },
  );

  it.each(SERVICES_WITH_ALIASES)('should give %s the DNS aliases of the topology: %s', (name, aliases) => {
    expect(aliasesOf(composeService(name))).toEqual(expect.arrayContaining([...aliases]));
  });

  it("should point the client's resolver at the dns service's fixed address, outside the dynamic range", () => {
    const dns = composeAsRun.services.dns;
    const [[networkName, settings]] = Object.entries(dns.networks ?? {});
    const [addressing] = composeAsRun.networks?.[networkName]?.ipam?.config ?? [];
    const address = settings?.ipv4_address ?? '(none)';
    const client = composeAsRun.services.client;

    expect(cidrContains(addressing?.subnet ?? '0.0.0.0/32', address)).toBe(true);
    expect(cidrContains(addressing?.ip_range ?? '0.0.0.0/0', address)).toBe(false);
    expect([client.dns].flat()).toEqual([address]);
    expect(environmentOf(client).STACK_DNS_SERVER).toBe(address);
  });

  it('should take secrets only from ${VAR:-default} interpolation or an env_file', () => {
    const secretEntries = Object.values(compose.services)
      .flatMap((svc) => Object.entries(environmentOf(svc)))
      .filter(([key]) => SECRET_NAME.test(key));
    const textOutsideInterpolations = COMPOSE_TEXT.replace(INTERPOLATION, '');
    const secretsInDockerfiles = builtDockerfiles()
      .flatMap((path) => readRepoFile(path).split('\n'))
      .filter((line) => /^\s*(ENV|ARG)\s/i.test(line) && SECRET_NAME.test(line));

    expect(secretEntries.length).toBeGreaterThan(0);
    expect(secretEntries.filter(([, value]) => !isInterpolationWithDefault(value))).toEqual([]);
    expect(knownSecretValues().filter((secret) => textOutsideInterpolations.includes(secret))).toEqual([]);
    expect(secretsInDockerfiles).toEqual([]);
  });

  describe('two checkouts on one machine', () => {
    /** Each published port: `127.0.0.1:${NAME_PORT:-default}`, as written. */
    const PUBLISHED = /^127\.0\.0\.1:\$\{([A-Z_]+_PORT):-(\d+)\}$/;
    const publishing = Object.keys(compose.services).filter((name) => publishedPortsOf(compose.services[name]).length);

    it('should give every variable it reads a default, so that no .env is needed', () => {
      const valuesOf = (node: unknown): string[] =>
        typeof node === 'string' ? [node] : node && typeof node === 'object' ? Object.values(node).flatMap(valuesOf) : [];

      const withBareVariables = valuesOf(compose).filter((value) => /\$(?!\{[A-Za-z_][A-Za-z0-9_]*:-)/.test(value));

      expect(withBareVariables).toEqual([]);
    });

    it.each(publishing)('should publish %s on the loopback address, on a host port a variable moves', (name) => {
      const ports = publishedPortsOf(composeService(name));

      expect(ports.filter((port) => !PUBLISHED.test(port))).toEqual([]);
    });

    it("should publish lb on LB_PORT, 8080 unless set, and its operators' port on LB_OPERATORS_PORT, 9080 unless set", () => {
      expect(publishedPortsOf(composeService('lb'))).toEqual(['127.0.0.1:${LB_PORT:-8080}', `127.0.0.1:\${LB_OPERATORS_PORT:-${LB_OPERATORS_PORT}}`]);
      expect(publishedPortsOf(composeAsRun.services.lb)).toEqual(['127.0.0.1:8080', `127.0.0.1:${LB_OPERATORS_PORT}`]);
      expect(composeService('lb').ports).toContain(`127.0.0.1:\${LB_OPERATORS_PORT:-${LB_OPERATORS_PORT}}:${LB_OPERATORS_PORT}`);
    });

    it('should publish each host port once', () => {
      const ports = Object.values(composeAsRun.services).flatMap(publishedPortsOf);

      expect(new Set(ports).size).toBe(ports.length);
    });

    it('should name the project in `name:`, which COMPOSE_PROJECT_NAME and -p override', () => {
      // Compose's order: -p, then COMPOSE_PROJECT_NAME, then the top-level name, so a literal name is the default.
      expect(compose.name).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
    });

    it("should move the subnet, its dynamic range and the dns service's address with one variable", () => {
      const [addressing] = compose.networks?.default?.ipam?.config ?? [];
      const dnsAddress = Object.values(composeService('dns').networks ?? {})[0]?.ipv4_address ?? '';
      const defaults = new Set([...COMPOSE_TEXT.matchAll(/\$\{SUBNET_PREFIX:-([^}]*)\}/g)].map(([, value]) => value));

      expect([addressing?.subnet, addressing?.ip_range, dnsAddress].map((value) => value?.split('}')[0])).toEqual(
        Array(3).fill(`\${SUBNET_PREFIX:-${[...defaults][0]}`),
      );
      expect(defaults.size).toBe(1);
    });
  });

  describe('PostgreSQL under Patroni', () => {
    /** The variables that say which node this is; every other Patroni setting is the same on every node of a kind. */
    const NODE_IDENTITY = ['NAME', 'HOST'];
    /** What the analytics replica sets its own way (recoveryConflictSettings, natively). */
    const RECOVERY_CONFLICT_SETTINGS = Object.keys(recoveryConflictSettings('postgres-analytics', {}));

    /** Where a node mounts stack/patroni/, and whether read-only. */
    const templateMountOf = (name: string): Mount | undefined =>
      mountsOf(composeService(name)).find((mount) => mount.source === normalize(PATRONI_TEMPLATE_DIR));

    it('should find the shared Patroni template, with placeholders to fill', () => {
      expect(PLACEHOLDERS).toEqual(expect.arrayContaining(['NAME', 'HOST', 'ETCD_HOSTS', 'DATA_DIR']));
    });

    it.each(POSTGRES_NODES)('should run postgres node %s on the Patroni image', (name) => {
      const primary = composeService(PRIMARY);

      expect(dockerfileOf(primary)).toBe(PATRONI_DOCKERFILE);
      expect(composeService(name).image).toBe(primary.image);
    });

    it('should build the Patroni image on the official postgres image, with Patroni pinned', () => {
      const dockerfile = readRepoFile(PATRONI_DOCKERFILE);

      expect(baseImagesOf(dockerfile)).toEqual([expect.stringMatching(/^postgres:\d+\.\d+/)]);
      // The postgres image's own package repository ships newer Patroni releases than Debian's: unpinned, a
      // rebuild could change Patroni under the shared template.
      expect(dockerfile).toMatch(/apt-get install[^\n]*\spatroni=\d+\.\d+\.\d+-\S+/);
    });

    it.each(POSTGRES_NODES)('should mount the shared template read-only into %s, for the entrypoint', (name) => {
      const mount = templateMountOf(name);

      expect(mount?.readOnly).toBe(true);
      expect(readRepoFile(PATRONI_ENTRYPOINT)).toContain(posix.join(mount?.target ?? '(no mount)', PATRONI_TEMPLATE));
    });

    it.each(POSTGRES_NODES)('should fill every placeholder of the template for postgres node %s', (name) => {
      const settings = patroniSettingsOf(name);

      expect(PLACEHOLDERS.filter((key) => !settings[key])).toEqual([]);
    });

    it.each(POSTGRES_NODES)('should name postgres node %s, and give its address, after its service', (name) => {
      const settings = patroniSettingsOf(name);

      expect(settings.NAME).toBe(name);
      expect(settings.HOST).toBe(name);
    });

    it('should give every postgres node the same Patroni settings but its own identity', () => {
      const sharedSettingsOf = (name: string) => {
        const settings = patroniSettingsOf(name);
        for (const key of NODE_IDENTITY) delete settings[key];
        return settings;
      };

      for (const replica of REPLICAS) expect(sharedSettingsOf(replica)).toEqual(sharedSettingsOf(PRIMARY));
      const withoutRecoverySettings = (name: string) => {
        const settings = sharedSettingsOf(name);
        for (const key of RECOVERY_CONFLICT_SETTINGS) delete settings[key];
        return settings;
      };
      for (const node of ANALYTICS) expect(withoutRecoverySettings(node)).toEqual(withoutRecoverySettings(PRIMARY));
    });

    it.each(POSTGRES_NODES)('should give postgres node %s the recovery-conflict settings and tags the native stack gives it', (name) => {
      const settings = patroniSettingsOf(name);
      const native = recoveryConflictSettings(topologyService(name).kind, {});
      // Compose's ${VARIABLE:-default} reads the same variables as the native stack, with the same defaults.
      const defaults = Object.fromEntries(RECOVERY_CONFLICT_SETTINGS.map((key) => [key, settings[key]?.replace(/^\$\{[A-Z_]+:-(.*)\}$/, '$1')]));

      expect(defaults).toEqual(native);
    });

    it('should let ANALYTICS_HOT_STANDBY_FEEDBACK and ANALYTICS_MAX_STANDBY_STREAMING_DELAY choose the analytics replica\'s way, natively and in compose', () => {
      const chosen = { ANALYTICS_HOT_STANDBY_FEEDBACK: 'on', ANALYTICS_MAX_STANDBY_STREAMING_DELAY: '30s' };

      for (const name of ANALYTICS) {
        expect(patroniSettingsOf(name)).toMatchObject({
          HOT_STANDBY_FEEDBACK: '${ANALYTICS_HOT_STANDBY_FEEDBACK:-off}',
          MAX_STANDBY_STREAMING_DELAY: '${ANALYTICS_MAX_STANDBY_STREAMING_DELAY:--1}',
        });
      }
      expect(recoveryConflictSettings('postgres-analytics', chosen)).toMatchObject({ HOT_STANDBY_FEEDBACK: 'on', MAX_STANDBY_STREAMING_DELAY: '30s' });
    });

    it('should keep the analytics replica out of db-replicas, Patroni\'s failover and its synchronous standbys', () => {
      const tags = (parse(TEMPLATE_TEXT) as { tags: Record<string, string> }).tags;

      for (const name of ANALYTICS) {
        expect(aliasesOf(composeService(name))).not.toContain(REPLICAS_NAME);
        expect(topologyService(name).aliases ?? []).not.toContain(REPLICAS_NAME);
        expect(patroniSettingsOf(name).ANALYTICS_NODE).toBe('true');
      }
      expect(tags).toEqual({ nofailover: '${ANALYTICS_NODE}', nosync: '${ANALYTICS_NODE}' });
      // noloadbalance would make Patroni's GET /replica answer 503, and the compose healthcheck asks it.
      expect(readRepoFile('docker/patroni/healthcheck.sh')).toContain('/replica');
    });

    it.each(POSTGRES_NODES)('should point postgres node %s at the etcd service, on its topology port', (name) => {
      const hosts = patroniSettingsOf(name).ETCD_HOSTS?.split(',') ?? [];

      expect(hosts).toEqual([`${ETCD}:${topologyService(ETCD).port}`]);
    });

    it.each(POSTGRES_NODES)('should keep the data of postgres node %s in a subdirectory of a volume', (name) => {
      const dataDir = patroniSettingsOf(name).DATA_DIR ?? '';
      const volumes = namedVolumeMountsOf(composeService(name));

      const holding = volumes.filter(({ target }) => dataDir.startsWith(`${target}/`));

      // Patroni removes and re-creates the data directory to clone a node afresh; it cannot do that to a mount point.
      expect(holding).toHaveLength(1);
    });

    it.each(POSTGRES_NODES)('should give postgres node %s the executable post-bootstrap.sh of the template', (name) => {
      const mount = templateMountOf(name);
      const postBootstrap = patroniSettingsOf(name).POST_BOOTSTRAP;

      expect(postBootstrap).toBe(posix.join(mount?.target ?? '(no mount)', PATRONI_POST_BOOTSTRAP));
      // Patroni runs the path itself, not through a shell.
      expect(isExecutable(join(PATRONI_TEMPLATE_DIR, PATRONI_POST_BOOTSTRAP))).toBe(true);
    });

    it.each(POSTGRES_NODES)('should have postgres node %s create the app role that the apps log in with', (name) => {
      const node = variablesOf(composeService(name));
      const postBootstrap = readRepoFile(join(PATRONI_TEMPLATE_DIR, PATRONI_POST_BOOTSTRAP));
      const entrypoint = readRepoFile(PATRONI_ENTRYPOINT);

      for (const key of ['DB_USER', 'DB_PASSWORD', 'DB_NAME']) {
        const inApps = APP_IMAGE_SERVICES.map((app) => `${key}=${variablesOf(composeService(app))[key]}`);
        expect(inApps).toEqual(APP_IMAGE_SERVICES.map(() => `${key}=${node[key]}`));
        // post-bootstrap.sh reads APP_DB_*, which the entrypoint takes from DB_* unless they are set.
        expect(postBootstrap).toContain(`APP_${key}`);
        expect(entrypoint).toMatch(new RegExp(`APP_${key}="\\$\\{APP_${key}:-\\$\\{${key}[:}]`));
      }
    });

    // The apps ask Patroni on each node who leads (issue 14, item 11): at the port its REST API listens on, in
    // compose as natively.
    it('should give every service of the app image the port of Patroni\'s REST API, as the template and the native stack open it', () => {
      const restApi = (parse(TEMPLATE_TEXT) as { restapi: { listen: string; connect_address: string } }).restapi;

      for (const app of APP_IMAGE_SERVICES) expect(variablesOf(composeService(app)).DB_PATRONI_API_PORT).toBe(String(PATRONI_PORT));
      expect([restApi.listen, restApi.connect_address].map((address) => address.split(':').at(-1))).toEqual([String(PATRONI_PORT), String(PATRONI_PORT)]);
    });

    it.each(POSTGRES_NODES)('should not give postgres node %s a PGPASSWORD', (name) => {
      // libpq prefers it to Patroni's pgpass file: it would replace the replication password.
      expect(Object.keys(variablesOf(composeService(name)))).not.toContain('PGPASSWORD');
    });

    it('should copy into the Patroni image the scripts that its entrypoint and the healthchecks run', () => {
      const copied = copiedFiles(PATRONI_DOCKERFILE);
      const entrypointScripts = scriptsOn(entrypointOf(PATRONI_DOCKERFILE));
      const healthchecks = POSTGRES_NODES.map((name) => healthcheckCommandOf(composeService(name)));
      const healthcheckScripts = healthchecks.flatMap(scriptsOn);

      const missing = [...entrypointScripts, ...healthcheckScripts].filter(
        (script) => !existsSync(join(ROOT, copied.get(script) ?? '(not copied)')),
      );

      expect(entrypointScripts).toHaveLength(1);
      expect(healthcheckScripts).toHaveLength(POSTGRES_NODES.length);
      expect(missing).toEqual([]);
    });

    it('should call a replica healthy only while its own WAL receiver streams', () => {
      const [script] = scriptsOn(healthcheckCommandOf(composeService(REPLICAS[0])));

      const text = readRepoFile(copiedFiles(PATRONI_DOCKERFILE).get(script) ?? '(not copied)');

      expect(text).toContain('pg_stat_wal_receiver');
      expect(text).toMatch(/!= streaming/);
    });

    it('should point BIN_DIR at the PostgreSQL major version of the image', () => {
      const [baseImage] = baseImagesOf(readRepoFile(PATRONI_DOCKERFILE));
      const major = /^postgres:(\d+)\./.exec(baseImage)?.[1];

      expect(patroniSettingsOf(PRIMARY).BIN_DIR).toBe(`/usr/lib/postgresql/${major}/bin`);
    });

    it('should leave synchronous mode off unless ${SYNCHRONOUS_MODE} turns it on', () => {
      expect(patroniSettingsOf(PRIMARY).SYNCHRONOUS_MODE).toBe('${SYNCHRONOUS_MODE:-false}');
      expect(TEMPLATE_TEXT).toMatch(/^\s*synchronous_mode: \$\{SYNCHRONOUS_MODE\}\s*$/m);
    });
  });

  describe('Redis under Sentinel', () => {
    const SENTINEL_TEMPLATE = nativePaths.sentinelTemplate;
    const sentinelTemplate = readFileSync(SENTINEL_TEMPLATE, 'utf8');
    const directive = (name: string) => new RegExp(`^${name} (.+)$`, 'm').exec(sentinelTemplate)?.[1];
    const appEnv = readEnvFile('stack/app.env');
    /** Where a Sentinel mounts the template's folder. */
    const templateMountOf = (name: string): Mount | undefined =>
      mountsOf(composeService(name)).find((mount) => join(ROOT, mount.source) === join(SENTINEL_TEMPLATE, '..'));

    it.each([...REDIS_NODES, ...SENTINELS])('should run %s on the one Redis image', (name) => {
      expect(composeService(name).image).toBe(composeService(REDIS).image);
    });

    it.each(REDIS_NODES)('should have Redis node %s announce its service name, keep nothing, and resync at once', (name) => {
      const command = commandOf(composeService(name));
      const option = (flag: string) => command[command.indexOf(flag) + 1];

      expect(option('--replica-announce-ip')).toBe(name);
      expect([option('--save'), option('--appendonly'), option('--repl-diskless-sync-delay')]).toEqual(['', 'no', '0']);
    });

    it('should start the replica replicating the first master, on its topology port', () => {
      const command = commandOf(composeService(REDIS_NODES[1]));

      expect(command.slice(command.indexOf('--replicaof') + 1, command.indexOf('--replicaof') + 3)).toEqual([REDIS, String(topologyService(REDIS).port)]);
      expect(commandOf(composeService(REDIS))).not.toContain('--replicaof');
    });

    it.each(SENTINELS)('should start Sentinel %s from the shared template, mounted read-only, under its own name', (name) => {
      const mount = templateMountOf(name);
      const [shell, script] = commandOf(composeService(name));

      expect(mount?.readOnly).toBe(true);
      expect([shell, posix.dirname(script)]).toEqual(['sh', mount?.target]);
      expect(isExecutable(join(relative(ROOT, join(SENTINEL_TEMPLATE, '..')), posix.basename(script)))).toBe(true);
      expect(readRepoFile(join(relative(ROOT, join(SENTINEL_TEMPLATE, '..')), posix.basename(script)))).toContain(posix.join(mount?.target ?? '(no mount)', 'sentinel.conf'));
      expect(variablesOf(composeService(name)).NAME).toBe(name);
    });

    it('should have the Sentinels monitor the first master under the name the apps ask for, by name, with a majority quorum', () => {
      const [masterName, host, port, quorum] = directive('sentinel monitor')?.split(' ') ?? [];

      expect(masterName).toBe(appEnv.REDIS_SENTINEL_MASTER);
      expect(`${host}:${port}`).toBe(`${REDIS}:${topologyService(REDIS).port}`);
      expect(Number(quorum)).toBe(Math.floor(SENTINELS.length / 2) + 1);
      expect([directive('sentinel resolve-hostnames'), directive('sentinel announce-hostnames')]).toEqual(['yes', 'yes']);
      expect(directive('port')).toBe(String(topologyService(SENTINELS[0]).port));
    });

    it('should give the apps every Sentinel on its topology port', () => {
      expect(appEnv.REDIS_SENTINELS.split(',')).toEqual(SENTINELS.map((name) => `${name}:${topologyService(name).port}`));
    });

    it.each([...REDIS_NODES, ...SENTINELS])('should check %s with redis-cli, which the image has', (name) => {
      expect(healthcheckCommandOf(composeService(name)).join(' ')).toMatch(/redis-cli .*(info replication|sentinel ckquorum)/);
    });
  });

  describe('backups (pgBackRest, docs/backups.md)', () => {
    const NODE_CONFIG = 'docker/patroni/pgbackrest.conf';
    const BACKUP_CONFIG = 'docker/backup/pgbackrest.conf';
    const BACKUP_START = 'docker/backup/start.sh';
    const RESTORE_ENTRYPOINT = 'docker/patroni/restore.sh';

    /** A pgBackRest configuration file: section -> key -> value. */
    const iniOf = (path: string): Record<string, Record<string, string>> => {
      const sections: Record<string, Record<string, string>> = {};
      let current = '';
      for (const line of readRepoFile(path).split('\n').map((l) => l.trim())) {
        if (line === '' || line.startsWith('#')) continue;
        const header = /^\[(.+)\]$/.exec(line);
        if (header) current = header[1];
        else (sections[current] ??= {})[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
      }
      return sections;
    };
    const nodeConfig = iniOf(NODE_CONFIG);
    const backupConfig = iniOf(BACKUP_CONFIG);
    const mountOf = (name: string, source: string): Mount | undefined =>
      mountsOf(composeService(name)).find((mount) => mount.source === normalize(source) || mount.source === source);
    const template = parse(TEMPLATE_TEXT) as {
      scope: string;
      bootstrap: { dcs: { postgresql: { parameters: Record<string, string> } } };
      postgresql: { parameters: Record<string, string> };
    };

    it("should name the stanza after Patroni's scope, in archive_command and both configurations", () => {
      expect(STANZA).toBe(template.scope);
      expect(template.postgresql.parameters.archive_command).toContain(`--stanza=${STANZA} `);
      expect(Object.keys(nodeConfig)).toEqual(['global', STANZA]);
      expect(Object.keys(backupConfig)).toEqual(['global', STANZA]);
      expect(readRepoFile(BACKUP_START)).toContain(`stanza=${STANZA}`);
      expect(readRepoFile(RESTORE_ENTRYPOINT)).toContain(`--stanza=${STANZA} `);
    });

    it('should archive from the primary only, each node its own WAL, through the configuration the placeholder names', () => {
      // 'on', not 'always': a replica does not archive; after a failover the new primary does.
      expect(template.bootstrap.dcs.postgresql.parameters.archive_mode).toBe('on');
      expect(template.postgresql.parameters.archive_command).toBe(
        `pgbackrest --config=\${PGBACKREST_CONFIG} --stanza=${STANZA} --pg1-path=\${DATA_DIR} archive-push %p`,
      );
    });

    it.each(POSTGRES_NODES)('should give postgres node %s the node configuration, at PGBACKREST_CONFIG, and the certificates, read-only', (name) => {
      const config = mountOf(name, NODE_CONFIG);
      const tls = namedVolumeMountsOf(composeService(name)).find((mount) => mount.source === 'backup-tls');

      expect(config?.target).toBe(patroniSettingsOf(name).PGBACKREST_CONFIG);
      expect(config?.readOnly).toBe(true);
      expect(tls?.readOnly).toBe(true);
      expect(nodeConfig.global['repo1-host-cert-file'].startsWith(`${tls?.target}/`)).toBe(true);
    });

    it("should point each node's configuration at its own data directory and at the backup service's TLS server", () => {
      expect(nodeConfig[STANZA]['pg1-path']).toBe(patroniSettingsOf(PRIMARY).DATA_DIR);
      expect(nodeConfig[STANZA]['pg1-socket-path']).toBe(patroniSettingsOf(PRIMARY).SOCKET_DIR);
      // The client names the repository's path to the server: the two must agree.
      expect(nodeConfig.global).toEqual(
        expect.objectContaining({ 'repo1-host': BACKUP, 'repo1-host-type': 'tls', 'repo1-path': backupConfig.global['repo1-path'] }),
      );
      expect(nodeConfig.global['compress-type']).toBe(backupConfig.global['compress-type']);
      expect(readRepoFile(PATRONI_ENTRYPOINT)).toMatch(/^pgbackrest server &$/m);
    });

    it('should back up every postgres node of the topology through its TLS server, from a standby', () => {
      const hosts = Object.entries(backupConfig[STANZA]).filter(([key]) => /^pg\d+-host$/.test(key));

      expect(hosts.map(([, host]) => host).sort()).toEqual([...BACKED_UP_NODES].sort());
      for (const [key, host] of hosts) {
        const index = key.slice(0, key.indexOf('-'));
        expect([host, backupConfig[STANZA][`${index}-host-type`]]).toEqual([host, 'tls']);
        expect(backupConfig[STANZA][`${index}-path`]).toBe(patroniSettingsOf(host).DATA_DIR);
        expect(backupConfig[STANZA][`${index}-socket-path`]).toBe(patroniSettingsOf(host).SOCKET_DIR);
      }
      expect(backupConfig.global['backup-standby']).toBe('y');
    });

    it('should keep the repository in a named volume of the backup service, with its configuration mounted read-only', () => {
      const volumes = namedVolumeMountsOf(composeService(BACKUP));

      expect(volumes.map(({ target }) => target)).toContain(backupConfig.global['repo1-path']);
      expect(mountOf(BACKUP, BACKUP_CONFIG)?.readOnly).toBe(true);
      expect(Object.keys(compose.volumes ?? {})).toEqual(expect.arrayContaining(['backup-repo', 'backup-tls']));
    });

    it('should make a certificate that names every host a pgBackRest connects to', () => {
      const [, hosts] = /^hosts=\(([^)]*)\)$/m.exec(readRepoFile(BACKUP_START)) ?? [];

      expect(hosts?.split(' ')).toEqual(expect.arrayContaining([BACKUP, ...BACKED_UP_NODES, RESTORE_NODE]));
    });

    it("should install the same pinned pgBackRest on the nodes' image and the backup service's", () => {
      const pinned = (path: string) => /apt-get install[^\n]*\spgbackrest=(\d+\.\d+-\S+)/.exec(readRepoFile(path))?.[1];

      expect(pinned(PATRONI_DOCKERFILE)).toMatch(/^2\.45-/);
      expect(pinned(dockerfileOf(composeService(BACKUP)))).toBe(pinned(PATRONI_DOCKERFILE));
    });

    it('should restore into db-restore outside the cluster: never in db-replicas, no archiving, its entrypoint in the image', () => {
      const restoreNode = composeService(RESTORE_NODE);
      const [, script] = [restoreNode.entrypoint ?? []].flat();

      expect(aliasesOf(restoreNode)).not.toContain('db-replicas');
      expect(restoreNode.image).toBe(composeService(PRIMARY).image);
      expect(copiedFiles(PATRONI_DOCKERFILE).get(script)).toBe(RESTORE_ENTRYPOINT);
      expect(readRepoFile(RESTORE_ENTRYPOINT)).toContain('--archive-mode=off');
      expect(environmentOf(restoreNode).RESTORE_TARGET).toBe('${RESTORE_TARGET:-}');
    });
  });

  describe('etcd', () => {
    it('should listen on every interface and advertise the address the postgres nodes use', () => {
      const flags = flagsOf(composeService(ETCD));
      const port = topologyService(ETCD).port;

      expect(flags['listen-client-urls']).toBe(`http://0.0.0.0:${port}`);
      expect(flags['advertise-client-urls']).toBe(`http://${patroniSettingsOf(PRIMARY).ETCD_HOSTS}`);
    });

    it('should keep its data in a volume', () => {
      const dataDir = flagsOf(composeService(ETCD))['data-dir'];

      expect(namedVolumeMountsOf(composeService(ETCD)).map(({ target }) => target)).toContain(dataDir);
    });

    it('should have its healthcheck tool in its image', () => {
      const [, tool] = healthcheckCommandOf(composeService(ETCD));
      const dockerfile = readRepoFile(dockerfileOf(composeService(ETCD)));

      expect(tool).toBe('etcdctl');
      // Debian ships etcdctl apart from the server.
      expect(dockerfile).toMatch(/apt-get install[^\n]*\betcd-client\b/);
    });
  });
});
