import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LB_OPERATORS_PORT, SERVICES } from '../../stack/topology';
import {
  COMPOSE_TEXT,
  DEFAULT_COMPOSE_SERVICES,
  INTERPOLATION,
  ROOT,
  aliasesOf,
  compose,
  composeAsRun,
  composeService,
  environmentOf,
  publishedPortsOf,
  readRepoFile,
} from './compose-file';
import { baseImagesOf } from './dockerfile';
import { codeBlockAfter } from '../support/markdown';

// What README.md and docs/ say about the Docker path, checked against docker-compose.yml and the Dockerfiles: the
// commands they give, the ports and names they use, the images and versions they name.

const README = readRepoFile('README.md');
/** The README and every page of docs/, as one text: a Docker fact may live in either. */
const ALL_DOCS = [README, ...readdirSync(join(ROOT, 'docs')).filter((file) => file.endsWith('.md')).map((file) => readRepoFile(`docs/${file}`))].join('\n');


/** The lines of the fenced code block that follows the first line containing `marker`. */
function linesOfCodeBlockAfter(marker: string): string[] {
  return codeBlockAfter(README, marker).trim().split('\n');
}

/** The backticked names in the first column of the table under `## The services`. */
function servicesTable(): string[] {
  const section = README.slice(README.indexOf('## The services'));
  const rows = section.slice(0, section.indexOf('\n## ', 1)).split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([^`]+)`/g)].map(([, name]) => name));
}

const matchesOf = (pattern: RegExp): string[] => [...new Set([...ALL_DOCS.matchAll(pattern)].map(([, value]) => value))];

/** The host ports compose publishes on this machine, with no variable set: 8080, 9090, 3001. */
const publishedHostPorts = (): string[] =>
  Object.values(composeAsRun.services).flatMap(publishedPortsOf).map((port) => port.split(':')[1]);

describe('README.md and docs/ on the Docker path', () => {
  const quickStart = linesOfCodeBlockAfter('With Docker instead');

  it('should start the stack, in its quick start, the way docker-compose.yml says to', () => {
    expect(quickStart[0]).toBe('docker compose up --build --wait');
    expect(COMPOSE_TEXT).toContain(`#   ${quickStart[0]} `);
  });

  it("should send the quick start's first request to lb's port, for the articles the seed job inserts", () => {
    const [, port, path] = /^curl -i '?http:\/\/localhost:(\d+)(\/api\/articles\?limit=\d+)'?$/.exec(quickStart[1]) ?? [];
    const seed = readRepoFile('src/seed.ts');

    expect(publishedPortsOf(composeAsRun.services.lb)[0]).toBe(`127.0.0.1:${port}`);
    expect(path).toMatch(/^\/api\/articles\?limit=[1-9]/);
    expect(seed).toMatch(/slug: slugFor\(/); // the seed publishes demo articles, so the list is not empty
  });

  it('should name only host ports that compose publishes', () => {
    const named = matchesOf(/http:\/\/localhost:(\d+)/g);

    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((port) => !publishedHostPorts().includes(port))).toEqual([]);
  });

  it('should `docker compose exec` only into services compose starts', () => {
    const targets = matchesOf(/docker compose exec (\S+)/g);

    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((name) => !DEFAULT_COMPOSE_SERVICES.includes(name))).toEqual([]);
  });

  it("should reach lb's operators' port from the client, where nginx listens for operators", () => {
    const [, host, port] = /http:\/\/([\w.-]+):(\d+)\//.exec(quickStart.find((line) => line.startsWith('docker compose exec client')) ?? '') ?? [];

    expect(['lb', ...aliasesOf(composeService('lb'))]).toContain(host);
    expect(Number(port)).toBe(LB_OPERATORS_PORT);
    expect(readRepoFile('nginx/conf.d/api.conf')).toMatch(new RegExp(`^\\s*listen ${port};`, 'm'));
    expect(aliasesOf(composeService('lb'))).toContain('api.example.test');
  });

  it('should ask only for profiles some service is in', () => {
    const profiles = matchesOf(/docker compose --profile (\S+)/g);
    const defined = Object.values(compose.services).flatMap((svc) => svc.profiles ?? []);

    expect(profiles.length).toBeGreaterThan(0);
    expect(profiles.filter((profile) => !defined.includes(profile))).toEqual([]);
  });

  it('should tell you to copy a replica that sets its own NAME and HOST and builds nothing', () => {
    const [, replica] = /copy the `([\w-]+)` service with its own `NAME`, `HOST`/.exec(ALL_DOCS) ?? [];
    const service = composeService(replica ?? '(none named)');

    expect(Object.keys(environmentOf(service))).toEqual(expect.arrayContaining(['NAME', 'HOST']));
    expect(service.build).toBeUndefined();
  });

  it('should name the PostgreSQL and Redis major versions that the images run', () => {
    const [postgresImage] = baseImagesOf(readRepoFile('docker/patroni/Dockerfile'));
    const postgresMajor = /^postgres:(\d+)\./.exec(postgresImage)?.[1];
    const redisMajor = /^redis:(\d+)\./.exec(composeService('redis').image ?? '')?.[1];

    expect(README).toMatch(new RegExp(`PostgreSQL ${postgresMajor}, Redis ${redisMajor}\\b`));
  });

  it('should name variables that docker-compose.yml reads where it says compose reads them', () => {
    const read = [...COMPOSE_TEXT.matchAll(INTERPOLATION)].map(([, name]) => name);

    for (const name of ['SYNCHRONOUS_MODE', 'GRAFANA_ADMIN_PASSWORD']) {
      expect(ALL_DOCS).toContain(name);
      expect(read).toContain(name);
    }
  });

  it('should list only services of the compose file or optional ones of the native stack in its services table', () => {
    const optionalNatively = SERVICES.filter((s) => s.optional).map((s) => s.name);

    const unknown = servicesTable().filter((name) => !compose.services[name] && !optionalNatively.includes(name));

    expect(unknown).toEqual([]);
  });

  it('should point at Docker files that exist', () => {
    const [line] = README.split('\n').filter((l) => l.includes('the same topology for Docker'));
    const files = line.split('  ')[0].trim().split(/\s+/);

    expect(files).toEqual(expect.arrayContaining(['docker-compose.yml', 'Dockerfile']));
    expect(files.filter((file) => !existsSync(join(ROOT, file)))).toEqual([]);
  });

  it('should list every service compose starts in its services table', () => {
    const listed = servicesTable();

    expect(DEFAULT_COMPOSE_SERVICES.filter((name) => !listed.includes(name))).toEqual([]);
  });

  it("should name the app image's base image as the Dockerfile pins it", () => {
    const baseImages = [...new Set(baseImagesOf(readRepoFile('Dockerfile')))];

    expect(baseImages.filter((image) => !README.includes(`\`${image}\``))).toEqual([]);
  });

  it('should name every variable docker-compose.yml reads, and COMPOSE_PROJECT_NAME', () => {
    const read = [...new Set([...COMPOSE_TEXT.matchAll(INTERPOLATION)].map(([, name]) => name)), 'COMPOSE_PROJECT_NAME'];

    expect(read.filter((name) => !new RegExp(`\\b${name}\\b`).test(ALL_DOCS))).toEqual([]);
  });
});
