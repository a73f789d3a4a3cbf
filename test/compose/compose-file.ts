import { accessSync, constants, readFileSync } from 'node:fs';
import { join, normalize, resolve } from 'node:path';
import { parse } from 'yaml';

// docker-compose.yml read as a file, for the specs beside this one: no Docker engine runs where they run.

export const ROOT = resolve(__dirname, '../..');

export const readRepoFile = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

export const isExecutable = (path: string): boolean => {
  try {
    accessSync(join(ROOT, path), constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The parts of the Compose file format these tests read. */
export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  pull_policy?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  restart?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | (string | { path: string })[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: (string | number | { target: number; published?: string | number; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string; target: string; read_only?: boolean })[];
  tmpfs?: string | string[];
  networks?: string[] | Record<string, { aliases?: string[]; ipv4_address?: string } | null>;
  dns?: string | string[];
  profiles?: string[];
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { ipam?: { config?: { subnet?: string; ip_range?: string }[] } } | null>;
}

export const COMPOSE_TEXT = readRepoFile('docker-compose.yml');
// merge: Compose resolves YAML merge keys (`<<: *anchor`), which docker-compose.yml uses for shared settings.
/** docker-compose.yml as written: `${VAR:-default}` interpolations left in place. */
export const compose = parse(COMPOSE_TEXT, { merge: true }) as ComposeFile;

/** `${VAR:-default}`, the one form of interpolation docker-compose.yml uses: every variable has a default. */
export const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}/g;

/** docker-compose.yml as Compose runs it when none of its variables is set: each interpolation is its default. */
export const composeAsRun = parse(
  COMPOSE_TEXT.replace(INTERPOLATION, (_interpolation, _name, fallback: string) => fallback),
  { merge: true },
) as ComposeFile;

export function composeService(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** Services that `docker compose up` starts: those in no profile. The others run only when their profile is asked for. */
export const DEFAULT_COMPOSE_SERVICES = Object.keys(compose.services).filter(
  (name) => !compose.services[name].profiles?.length,
);

// --- Reading a service's settings, whichever of Compose's equivalent forms it uses -----------------------

export function splitAssignment(line: string): [string, string] {
  const equals = line.indexOf('=');
  return equals < 0 ? [line, ''] : [line.slice(0, equals), line.slice(equals + 1)];
}

export function environmentOf(svc: ComposeService): Record<string, string> {
  const environment = svc.environment ?? {};
  const entries = Array.isArray(environment)
    ? environment.map((entry) => splitAssignment(entry))
    : Object.entries(environment).map(([key, value]) => [key, String(value ?? '')]);
  return Object.fromEntries(entries);
}

/** KEY=VALUE lines; blank lines and # comments skipped, as Compose reads an env_file. */
export function readEnvFile(path: string): Record<string, string> {
  const lines = readRepoFile(path).split('\n').map((line) => line.trim());
  return Object.fromEntries(lines.filter((line) => line && !line.startsWith('#')).map(splitAssignment));
}

export const envFilesOf = (svc: ComposeService): string[] =>
  [svc.env_file ?? []].flat().map((file) => (typeof file === 'string' ? file : file.path));

/** Every variable Compose gives the container: the env_file entries, with `environment` on top. */
export const variablesOf = (svc: ComposeService): Record<string, string> =>
  Object.assign({}, ...envFilesOf(svc).map(readEnvFile), environmentOf(svc));

export const commandOf = (svc: ComposeService): string[] =>
  typeof svc.command === 'string' ? svc.command.split(/\s+/) : (svc.command ?? []);

/** The `--name=value` flags on a command line. */
export function flagsOf(svc: ComposeService): Record<string, string> {
  const flags = commandOf(svc).filter((arg) => arg.startsWith('--'));
  return Object.fromEntries(flags.map((flag) => splitAssignment(flag.slice(2))));
}

export interface Mount {
  /** A repository path for a bind mount (`./stack/patroni` -> `stack/patroni`), else the volume's name. */
  source: string;
  target: string;
  readOnly: boolean;
}

/** `source:target[:mode]` or the long form, as one shape. */
export function mountsOf(svc: ComposeService): Mount[] {
  return (svc.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') {
      return { source: normalize(volume.source ?? ''), target: volume.target, readOnly: volume.read_only === true };
    }
    const [source, target, mode = ''] = volume.split(':');
    return { source: normalize(source), target, readOnly: mode.split(',').includes('ro') };
  });
}

/** Mounts of the file's named volumes (`volumes:` at the top level), bind mounts left out. */
export const namedVolumeMountsOf = (svc: ComposeService): Mount[] =>
  mountsOf(svc).filter((mount) => Object.keys(compose.volumes ?? {}).includes(mount.source));

export const healthcheckCommandOf = ({ healthcheck }: ComposeService): string[] => [healthcheck?.test ?? []].flat();

export const hasHealthcheck = ({ healthcheck }: ComposeService): boolean =>
  healthcheck?.test !== undefined && !healthcheck.disable && [healthcheck.test].flat()[0] !== 'NONE';

/** The absolute paths on a command line: the scripts it runs inside the container. */
export const scriptsOn = (command: string[]): string[] => command.filter((arg) => arg.startsWith('/'));

/** Dependency name -> condition; the short list form means `service_started`. */
export function dependenciesOf(svc: ComposeService): Record<string, string> {
  const dependsOn = svc.depends_on ?? {};
  return Array.isArray(dependsOn)
    ? Object.fromEntries(dependsOn.map((name) => [name, 'service_started']))
    : Object.fromEntries(Object.entries(dependsOn).map(([name, { condition }]) => [name, condition]));
}

/** Every service a service waits for, directly or through the services it waits for. */
export function dependencyClosureOf(name: string): Set<string> {
  const found = new Set<string>();
  const visit = (current: string): void => {
    for (const dependency of Object.keys(dependenciesOf(composeService(current)))) {
      if (found.has(dependency)) continue;
      found.add(dependency);
      visit(dependency);
    }
  };
  visit(name);
  return found;
}

/** The host ports a service publishes (`[host_ip:]published:target`), as `host_ip:published`. */
export const publishedPortsOf = (svc: ComposeService): string[] =>
  (svc.ports ?? []).map((port) => {
    if (typeof port === 'object') return `${port.host_ip ?? '0.0.0.0'}:${port.published}`;
    const hostSide = String(port).slice(0, String(port).lastIndexOf(':'));
    const [, hostIp = '0.0.0.0', published] = /^(?:(\d+\.\d+\.\d+\.\d+):)?(.*)$/.exec(hostSide) ?? [];
    return `${hostIp}:${published}`;
  });

const networkSettingsOf = (svc: ComposeService) =>
  Array.isArray(svc.networks) ? [] : Object.values(svc.networks ?? {}).flatMap((network) => (network ? [network] : []));

export const aliasesOf = (svc: ComposeService): string[] => networkSettingsOf(svc).flatMap((n) => n.aliases ?? []);

// --- The Dockerfiles it builds --------------------------------------------------------------------------------

/** The Dockerfile a service's `build:` names, as a repository path. */
export function dockerfileOf(svc: ComposeService): string {
  const build = typeof svc.build === 'string' ? { context: svc.build } : (svc.build ?? {});
  return join(build.context ?? '.', build.dockerfile ?? 'Dockerfile');
}

export const builtDockerfiles = (): string[] => [
  ...new Set(Object.values(compose.services).filter((svc) => svc.build).map(dockerfileOf)),
];
