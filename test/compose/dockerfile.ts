import { dirname, join } from 'node:path';
import { readRepoFile } from './compose-file';

// The Dockerfiles docker-compose.yml builds, read as text: no image is built where these tests run.

/** A tag other than `latest`, or a digest: the same file always runs the same software. */
export function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = image.split('/').pop()?.split(':')[1];
  return tag !== undefined && tag !== 'latest';
}

/** The images a Dockerfile's FROM lines pull; `FROM build` naming an earlier stage pulls nothing. */
export function baseImagesOf(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const [, image, stage] of dockerfile.matchAll(/^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    if (!stages.has(image.toLowerCase())) images.push(image);
    if (stage) stages.add(stage.toLowerCase());
  }
  return images;
}

/**
 * A Dockerfile's `COPY src dest` lines: the path inside the image -> the repository file it comes from. Sources
 * are relative to the Dockerfile's folder, the build context of every image this file builds.
 */
export function copiedFiles(dockerfilePath: string): Map<string, string> {
  const copies = [...readRepoFile(dockerfilePath).matchAll(/^COPY\s+(?:--\S+\s+)*(\S+)\s+(\S+)\s*$/gim)];
  return new Map(copies.map(([, source, destination]) => [destination, join(dirname(dockerfilePath), source)]));
}

/** The exec-form ENTRYPOINT of a Dockerfile. */
export function entrypointOf(dockerfilePath: string): string[] {
  const [, entrypoint] = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readRepoFile(dockerfilePath)) ?? [];
  return entrypoint ? (JSON.parse(entrypoint) as string[]) : [];
}

/** One stage of a multi-stage Dockerfile: its `AS` name, its base, its instructions as logical lines. */
export interface Stage {
  name: string;
  base: string;
  /** Continuation lines joined, comments and blank lines left out: `RUN npm ci --omit=dev`. */
  instructions: string[];
}

export function stagesOf(dockerfile: string): Stage[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const from = /^FROM (?:--\S+ )*(\S+)(?: AS (\S+))?$/i.exec(line);
    if (from) stages.push({ name: from[2] ?? String(stages.length), base: from[1], instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

/** The commands a stage's RUN instructions run, their --mount flags left out. */
export const runCommandsOf = (stage: Stage): string[] =>
  stage.instructions.flatMap((line) => {
    const run = /^RUN (?:--\S+ )*(.*)$/i.exec(line);
    return run ? run[1].split(/ && /) : [];
  });

/**
 * Whether a repository path is sent to the builder with a build context at the repository root: the last
 * .dockerignore pattern that matches the path or one of its folders decides, `!` letting it back in (as Docker's
 * own matcher does, for the `*`, `?` and `**` these files use).
 */
export function isInBuildContext(path: string, dockerignore: string): boolean {
  const patterns = dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const wildcards: Record<string, string> = { '**': '.*', '*': '[^/]*', '?': '[^/]' };
  const toRegExp = (glob: string): RegExp => {
    const parts = glob.replace(/^\/+|\/+$/g, '').split(/(\*\*|\*|\?)/);
    return new RegExp(`^${parts.map((part) => wildcards[part] ?? part.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('')}$`);
  };
  const segments = path.replace(/^\.\//, '').split('/');
  const pathAndFolders = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
  let included = true;
  for (const pattern of patterns) {
    const exception = pattern.startsWith('!');
    const glob = toRegExp(exception ? pattern.slice(1) : pattern);
    if (pathAndFolders.some((candidate) => glob.test(candidate))) included = exception;
  }
  return included;
}

/** The build-context paths a Dockerfile's COPY instructions read: every source but those of `COPY --from`. */
export const contextSourcesOf = (stagesOfFile: Stage[]): string[] =>
  stagesOfFile.flatMap((s) =>
    s.instructions.flatMap((line) => {
      const copy = /^COPY ((?:--\S+ )*)(.*)$/i.exec(line);
      if (!copy || /--from=/.test(copy[1])) return [];
      return copy[2].split(' ').slice(0, -1);
    }),
  );
