import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/app-config';
import { SERVICES, type ServiceKind, service as topologyService, slotOf } from '../../stack/topology';

// docker-compose.yml cannot be run where these tests run (no Docker engine), so they check it as a file:
// against the Compose Specification, and against the native stack's topology, nginx config and app config.

const ROOT = resolve(__dirname, '../..');
const VENDORED_SCHEMA = 'test/compose/compose-spec.schema.json';
// The project's shared folder sits beside the repository on developers' machines, not always in CI.
const SHARED_SCHEMA = join(ROOT, '..', 'shared', 'compose-spec.schema.json');

const readRepoFile = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The parts of the Compose file format these tests read. */
interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | (string | { path: string })[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  networks?: string[] | Record<string, { aliases?: string[]; ipv4_address?: string } | null>;
  dns?: string | string[];
  profiles?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { ipam?: { config?: { subnet?: string; ip_range?: string }[] } } | null>;
}

const COMPOSE_TEXT = readRepoFile('docker-compose.yml');
// merge: Compose resolves YAML merge keys (`<<: *anchor`), which docker-compose.yml uses for shared settings.
const compose = parse(COMPOSE_TEXT, { merge: true }) as ComposeFile;

function composeService(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

// --- The topology, as stack/topology.ts describes it -----------------------------------------------------

const STACK_SERVICES = SERVICES.filter((s) => !s.optional);
/** Services that `docker compose up` starts: those in no profile. The others run only when their profile is asked for. */
const DEFAULT_COMPOSE_SERVICES = Object.keys(compose.services).filter((name) => !compose.services[name].profiles?.length);
const PROFILED_SERVICES = Object.keys(compose.services).filter((name) => !DEFAULT_COMPOSE_SERVICES.includes(name));
const namesOfKind = (...kinds: ServiceKind[]): string[] =>
  STACK_SERVICES.filter((s) => kinds.includes(s.kind)).map((s) => s.name);

const [PRIMARY] = namesOfKind('postgres-primary');
const REPLICAS = namesOfKind('postgres-replica');
const POSTGRES_NODES = [PRIMARY, ...REPLICAS];
/** app-1, app-2 and migrate: the services that run the app's image and so read src/config/app-config.ts. */
const APP_IMAGE_SERVICES = namesOfKind('app', 'job');
const LONG_RUNNING_SERVICES = [...STACK_SERVICES.filter((s) => s.kind !== 'job').map((s) => s.name), ...PROFILED_SERVICES];
const SERVICES_WITH_ALIASES = STACK_SERVICES.filter((s) => s.aliases?.length).map(
  (s) => [s.name, s.aliases ?? []] as const,
);

// --- Reading a service's settings, whichever of Compose's equivalent forms it uses -----------------------

function environmentOf(svc: ComposeService): Record<string, string> {
  const environment = svc.environment ?? {};
  const entries = Array.isArray(environment)
    ? environment.map((entry) => splitAssignment(entry))
    : Object.entries(environment).map(([key, value]) => [key, String(value ?? '')]);
  return Object.fromEntries(entries);
}

function splitAssignment(line: string): [string, string] {
  const equals = line.indexOf('=');
  return equals < 0 ? [line, ''] : [line.slice(0, equals), line.slice(equals + 1)];
}

/** KEY=VALUE lines; blank lines and # comments skipped, as Compose reads an env_file. */
function readEnvFile(path: string): Record<string, string> {
  const lines = readRepoFile(path).split('\n').map((line) => line.trim());
  return Object.fromEntries(lines.filter((line) => line && !line.startsWith('#')).map(splitAssignment));
}

const envFilesOf = (svc: ComposeService): string[] =>
  [svc.env_file ?? []].flat().map((file) => (typeof file === 'string' ? file : file.path));

/** Every variable Compose gives the container: the env_file entries, with `environment` on top. */
const variablesOf = (svc: ComposeService): Record<string, string> =>
  Object.assign({}, ...envFilesOf(svc).map(readEnvFile), environmentOf(svc));

const commandOf = (svc: ComposeService): string[] =>
  typeof svc.command === 'string' ? svc.command.split(/\s+/) : (svc.command ?? []);

/** The `-c name=value` server settings on a postgres command line. */
function postgresSettingsOf(svc: ComposeService): Record<string, string> {
  const args = commandOf(svc);
  return Object.fromEntries(args.filter((_, i) => args[i - 1] === '-c').map(splitAssignment));
}

/** Dependency name -> condition; the short list form means `service_started`. */
function dependenciesOf(svc: ComposeService): Record<string, string> {
  const dependsOn = svc.depends_on ?? {};
  return Array.isArray(dependsOn)
    ? Object.fromEntries(dependsOn.map((name) => [name, 'service_started']))
    : Object.fromEntries(Object.entries(dependsOn).map(([name, { condition }]) => [name, condition]));
}

const networkSettingsOf = (svc: ComposeService) =>
  Array.isArray(svc.networks) ? [] : Object.values(svc.networks ?? {}).flatMap((network) => (network ? [network] : []));

const aliasesOf = (svc: ComposeService): string[] => networkSettingsOf(svc).flatMap((n) => n.aliases ?? []);

const hasHealthcheck = ({ healthcheck }: ComposeService): boolean =>
  healthcheck?.test !== undefined && !healthcheck.disable && [healthcheck.test].flat()[0] !== 'NONE';

// --- Images -------------------------------------------------------------------------------------------------

/** A tag other than `latest`, or a digest: the same file always runs the same software. */
function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = image.split('/').pop()?.split(':')[1];
  return tag !== undefined && tag !== 'latest';
}

function dockerfileOf(svc: ComposeService): string {
  const build = typeof svc.build === 'string' ? { context: svc.build } : (svc.build ?? {});
  return join(build.context ?? '.', build.dockerfile ?? 'Dockerfile');
}

const builtDockerfiles = (): string[] => [
  ...new Set(Object.values(compose.services).filter((svc) => svc.build).map(dockerfileOf)),
];

/** The images a Dockerfile's FROM lines pull; `FROM build` naming an earlier stage pulls nothing. */
function baseImagesOf(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const [, image, stage] of dockerfile.matchAll(/^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    if (!stages.has(image.toLowerCase())) images.push(image);
    if (stage) stages.add(stage.toLowerCase());
  }
  return images;
}

// --- Small factories for the expectations -------------------------------------------------------------------

const withCondition = (condition: string) => (...names: string[]) =>
  Object.fromEntries(names.map((name) => [name, condition]));
const healthy = withCondition('service_healthy');
const completed = withCondition('service_completed_successfully');

const appServerDependencies = { ...completed('migrate'), ...healthy(PRIMARY, 'redis') };

const EXPECTED_DEPENDENCIES: Record<string, Record<string, string>> = {
  ...Object.fromEntries(REPLICAS.map((replica) => [replica, healthy(PRIMARY)])),
  migrate: healthy(PRIMARY),
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
const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}/g;
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
  it('should be valid against the Compose Specification schema', () => {
    const validate = composeSchemaValidator();

    const valid = validate(compose);

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

  it('should start exactly the services of the native topology, outside any profile', () => {
    const expected = STACK_SERVICES.map((s) => s.name).sort();

    expect([...DEFAULT_COMPOSE_SERVICES].sort()).toEqual(expected);
  });

  it('should keep Prometheus and Grafana in the observability profile, optional natively too', () => {
    const optionalInTopology = SERVICES.filter((s) => s.optional).map((s) => s.name);

    expect(PROFILED_SERVICES.sort()).toEqual(['grafana', 'prometheus']);
    for (const name of PROFILED_SERVICES) expect(composeService(name).profiles).toEqual(['observability']);
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
    const servers = upstreamServers(readRepoFile('nginx/conf.d/api.conf'));

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

  it.each(namesOfKind('app'))('should name app instance %s after its service', (name) => {
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

  it.each(POSTGRES_NODES)('should set cluster_name of postgres node %s to its service name', (name) => {
    expect(postgresSettingsOf(composeService(name)).cluster_name).toBe(name);
  });

  it('should give every postgres node the same replication settings', () => {
    // A standby refuses to start when max_wal_senders and similar settings are below the primary's.
    const replicationSettingsOf = (name: string) => {
      const settings = postgresSettingsOf(composeService(name));
      delete settings.cluster_name;
      return settings;
    };
    const primarySettings = replicationSettingsOf(PRIMARY);

    expect(primarySettings).toMatchObject({ wal_level: 'replica', hot_standby: 'on', hot_standby_feedback: 'on' });
    expect(Object.keys(primarySettings)).toEqual(
      expect.arrayContaining(['max_wal_senders', 'max_replication_slots', 'max_slot_wal_keep_size']),
    );
    for (const replica of REPLICAS) expect(replicationSettingsOf(replica)).toEqual(primarySettings);
  });

  it('should give each replica its own slot, named after it, and have the primary create exactly those', () => {
    const slots = REPLICAS.map(slotOf);

    const created = environmentOf(composeService(PRIMARY)).REPLICATION_SLOTS?.split(/\s+/) ?? [];

    expect(REPLICAS.map((replica) => environmentOf(composeService(replica)).REPLICATION_SLOT)).toEqual(slots);
    expect(created.sort()).toEqual([...slots].sort());
  });

  it("should point the client's resolver at the dns service's fixed address, outside the dynamic range", () => {
    const dns = composeService('dns');
    const [[networkName, settings]] = Object.entries(dns.networks ?? {});
    const [addressing] = compose.networks?.[networkName]?.ipam?.config ?? [];
    const address = settings?.ipv4_address ?? '(none)';
    const client = composeService('client');

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
});
