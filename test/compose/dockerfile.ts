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
