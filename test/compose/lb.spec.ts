import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { paths } from '../../stack/native/paths';
import { ROOT, commandOf, composeService, healthcheckCommandOf, mountsOf, readRepoFile } from './compose-file';

// The lb service's nginx under compose: the site the native stack serves (nginx/conf.d/api.conf) with compose's
// own upstream block (docker/lb/app-servers.conf), put together by docker/lb/start.sh. No nginx that knows
// `resolve` runs here (Debian bookworm's is 1.22), so the configuration is read as text, and start.sh runs with
// a stand-in for nginx.

const SITE = 'nginx/conf.d/api.conf';
const COMPOSE_UPSTREAM = 'docker/lb/app-servers.conf';
const START_SCRIPT = 'docker/lb/start.sh';
/** The official nginx image's nginx.conf includes every *.conf file of this folder in its http block. */
const IMAGE_INCLUDE_DIR = '/etc/nginx/conf.d';
/** The official image's nginx is built with --prefix=/etc/nginx: relative paths in its configuration start there. */
const IMAGE_PREFIX = '/etc/nginx';
/** The first nginx release whose open-source build has `resolve` on upstream servers (and `resolver` in upstream). */
const RESOLVE_SINCE = [1, 27, 3];

const lb = composeService('lb');

/** The `upstream app_servers { … }` block of an nginx file, braces included. */
function appServersBlock(conf: string): string {
  const [block] = /^upstream app_servers \{\n[\s\S]*?\n\}\n/m.exec(conf) ?? [];
  if (!block) throw new Error('no `upstream app_servers { … }` block');
  return block;
}

/** A block's directives, one string each, comments and spacing left out: `server app-1:3000 max_fails=2 …`. */
const directivesOf = (block: string): string[] =>
  block
    .replace(/#.*$/gm, '')
    .replace(/^[^{]*\{|\}\s*$/g, '')
    .split(';')
    .map((directive) => directive.trim().replace(/\s+/g, ' '))
    .filter(Boolean);

/** The directives that make nginx resolve the servers' names as it runs, which the native block has not. */
const withoutRunTimeResolution = (directives: string[]): string[] =>
  directives
    .filter((directive) => !/^(zone|resolver|resolver_timeout) /.test(directive))
    .map((directive) => directive.replace(/ resolve\b/, ''));

/** The default a start.sh variable falls back to: `site="${SITE:-/etc/nginx/api.conf}"` -> /etc/nginx/api.conf. */
function scriptDefault(variable: string): string {
  const [, value] = new RegExp(`"\\$\\{${variable}:-([^}]+)\\}"`).exec(readRepoFile(START_SCRIPT)) ?? [];
  return value ?? `(start.sh has no default for ${variable})`;
}

/** Runs start.sh on the repository's api.conf, with a stand-in nginx that records its arguments. */
function runStartScript(): { site: string; nginxArgs: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lb-start-'));
  try {
    const stub = join(dir, 'nginx');
    writeFileSync(stub, `#!/bin/sh\nprintf '%s ' "$@" > "${dir}/nginx-args"\n`);
    chmodSync(stub, 0o755);
    const out = join(dir, 'default.conf');
    const result = spawnSync('sh', [join(ROOT, START_SCRIPT)], {
      env: { PATH: `${dir}:${process.env.PATH}`, SITE: join(ROOT, SITE), OUT: out },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`start.sh failed: ${result.stderr}`);
    return { site: readFileSync(out, 'utf8'), nginxArgs: readFileSync(join(dir, 'nginx-args'), 'utf8').trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** [1, 30, 5] against [1, 27, 3]: the first part that differs decides. */
function isAtLeast(version: number[], minimum: number[]): boolean {
  const differing = minimum.findIndex((part, i) => version[i] !== part);
  return differing < 0 || version[differing] > minimum[differing];
}

/** Where the compose file mounts a repository file inside the lb container. */
const mountTargetOf = (source: string): string =>
  mountsOf(lb).find((mount) => mount.source === source)?.target ?? `(${source} not mounted)`;

describe('lb (nginx) under docker compose', () => {
  const siteText = readRepoFile(SITE);
  const composeUpstream = directivesOf(appServersBlock(readRepoFile(COMPOSE_UPSTREAM)));

  it('should run start.sh, with the site and the compose upstream block where it and the image look for them', () => {
    expect(commandOf(lb)).toEqual(['sh', mountTargetOf(START_SCRIPT)]);
    expect(mountTargetOf(SITE)).toBe(scriptDefault('SITE'));
    expect(posix.dirname(mountTargetOf(COMPOSE_UPSTREAM))).toBe(IMAGE_INCLUDE_DIR);
    expect(posix.dirname(scriptDefault('OUT'))).toBe(IMAGE_INCLUDE_DIR);
    expect(mountsOf(lb).every((mount) => mount.readOnly)).toBe(true);
  });

  it("should serve api.conf less its upstream block, unchanged otherwise, then run nginx as the image's CMD does", () => {
    const { site, nginxArgs } = runStartScript();

    expect(site).toBe(siteText.replace(appServersBlock(siteText), ''));
    expect(nginxArgs).toBe('-g daemon off;');
  });

  it("should resolve every app server's name while nginx runs, in a zone the workers share", () => {
    const servers = composeUpstream.filter((directive) => directive.startsWith('server '));

    expect(servers.length).toBeGreaterThan(0);
    expect(servers.filter((server) => !/ resolve\b/.test(server))).toEqual([]);
    expect(composeUpstream).toContainEqual(expect.stringMatching(/^zone app_servers \d+k$/));
  });

  it("should ask Docker's embedded DNS, more often than its 600 s TTL", () => {
    const resolver = composeUpstream.find((directive) => directive.startsWith('resolver '));

    expect(resolver).toMatch(/^resolver 127\.0\.0\.11 valid=\ds\b/);
  });

  it("should keep api.conf's servers, their parameters and the keepalive to them, adding only run-time resolution", () => {
    const nativeUpstream = directivesOf(appServersBlock(siteText));

    expect(withoutRunTimeResolution(composeUpstream)).toEqual(nativeUpstream);
    expect(nativeUpstream).toContainEqual(expect.stringMatching(/^keepalive \d+$/));
  });

  it("should leave api.conf's own block resolving once, for the native stack's nginx 1.22", () => {
    const nativeUpstream = directivesOf(appServersBlock(siteText));

    expect(withoutRunTimeResolution(nativeUpstream)).toEqual(nativeUpstream);
  });

  it('should keep the site as the native stack serves it: keepalive, request ids, 413 problem+json, /nginx-status, retries of GET and HEAD only', () => {
    const { site } = runStartScript();

    expect(site).toContain('proxy_pass http://app_servers;');
    // Keepalive to the upstream needs HTTP/1.1 and no `Connection: close`.
    expect(site).toContain('proxy_http_version 1.1;');
    expect(site).toContain('proxy_set_header Connection "";');
    expect(site).toContain('proxy_set_header X-Request-Id $req_id;');
    expect(site).toMatch(/error_page 413 =413 \/\.problem\/413;[\s\S]*location = \/\.problem\/413 \{\s*internal;\s*default_type application\/problem\+json;/);
    expect(site).toMatch(/location @no_retry \{[^}]*proxy_next_upstream off;/);
    expect(site).toMatch(/location = \/nginx-status \{\s*stub_status;/);
    expect(site).toMatch(/proxy_next_upstream error timeout http_502 http_503 http_504;/);
    expect(site.replace(/#.*$/gm, '')).not.toContain('non_idempotent');
  });

  it('should run an nginx whose open-source build has `resolve` on upstream servers', () => {
    const version = /^nginx:(\d+)\.(\d+)\.(\d+)/.exec(lb.image ?? '')?.slice(1).map(Number) ?? [0, 0, 0];

    expect(isAtLeast(version, RESOLVE_SINCE)).toBe(true);
  });

  it('should call lb healthy only while an app answers through it', () => {
    const [, tool, ...args] = healthcheckCommandOf(lb);
    const url = new URL(args.at(-1) ?? '');

    expect(tool).toBe('wget');
    expect(url.pathname).toBe('/health/ready');
    // Not a location nginx answers itself: the request goes through proxy_pass to an app.
    expect(siteText).not.toContain(`location = ${url.pathname}`);
  });
});

describe("the edge cache's directory, under compose and natively", () => {
  const siteText = readRepoFile(SITE);
  const [, cacheDir = '(no proxy_cache_path)'] = /^proxy_cache_path (\S+) .*keys_zone=edge:/m.exec(siteText) ?? [];

  it("should be named in api.conf relative to nginx's prefix, so that one line serves both", () => {
    expect(posix.isAbsolute(cacheDir)).toBe(false);
  });

  it("should be a tmpfs in the lb container, at the image's prefix: empty at each start, never in the image", () => {
    expect([lb.tmpfs ?? []].flat()).toContain(posix.join(IMAGE_PREFIX, cacheDir));
  });

  it("should be the native stack's lb directory, which it empties before nginx starts", () => {
    expect(paths.nginxEdgeCache).toBe(join(paths.nginxPrefix, cacheDir));
  });
});
