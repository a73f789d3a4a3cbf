import { composeService, readRepoFile } from './compose-file';
import { contextSourcesOf, isInBuildContext, runCommandsOf, stagesOf } from './dockerfile';

// The app's image (Dockerfile at the repository root, built by compose's migrate service), read as text: no
// image is built where these tests run.

const DOCKERFILE = 'Dockerfile';
const stages = stagesOf(readRepoFile(DOCKERFILE));
const stage = (name: string) => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`${DOCKERFILE} has no stage "${name}"`);
  return found;
};
const npmInstallsOf = (name: string): string[] => runCommandsOf(stage(name)).filter((command) => /^npm (ci|install|i)\b/.test(command));

/** The Node release the npm scripts run on outside Docker: the `node` devDependency, as the lock file pins it. */
function lockedNodeDevDependency(): string {
  const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, { version?: string }> };
  return lock.packages['node_modules/node']?.version ?? '(not in the lock file)';
}

describe('Dockerfile (the app image)', () => {
  it('should build the stage compose runs last, with no target picked', () => {
    const build = composeService('migrate').build;

    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(typeof build === 'object' && 'target' in build ? build.target : undefined).toBeUndefined();
  });

  it('should base every stage on the official Node image of the release the npm scripts run on', () => {
    const version = lockedNodeDevDependency();

    expect(stages.map((s) => s.base)).toEqual(stages.map(() => `node:${version}-bookworm-slim`));
  });

  describe('the build stage', () => {
    it('should run no install script, so no second Node is downloaded and put on the npm scripts\' PATH', () => {
      // The `node` devDependency's preinstall downloads a whole Node (about 190 MB) and links it as
      // node_modules/.bin/node, which `npm run` puts ahead of the image's own Node.
      expect(npmInstallsOf('build')).toEqual([expect.stringMatching(/^npm ci .*--ignore-scripts\b/)]);
    });

    it('should compile with the project\'s own build script', () => {
      expect(runCommandsOf(stage('build'))).toContain('npm run build');
    });
  });

  describe('the runtime stage', () => {
    const runtime = stage('runtime');

    it('should install production dependencies only, from the lock file', () => {
      expect(npmInstallsOf('runtime')).toEqual([expect.stringMatching(/^npm ci .*--omit=dev\b/)]);
    });

    it('should take only the compiled code from the build stage, none of its node_modules', () => {
      const fromOtherStages = runtime.instructions.filter((line) => /^COPY --from=/i.test(line));

      expect(fromOtherStages).toEqual(['COPY --from=build /app/dist ./dist']);
    });

    it("should run the app on the base image's Node, as the unprivileged node user", () => {
      const cmd = runtime.instructions.find((line) => line.startsWith('CMD'));

      expect(cmd).toBe('CMD ["node", "dist/main.js"]');
      expect(runtime.instructions.filter((line) => /^ENV .*PATH/.test(line))).toEqual([]);
      expect(runtime.instructions).toContain('USER node');
      expect(runtime.instructions).toContain('ENV NODE_ENV=production');
    });
  });

  describe('its build context (.dockerignore)', () => {
    const dockerignore = readRepoFile('.dockerignore');

    it('should let through every repository file the Dockerfile copies', () => {
      const sources = contextSourcesOf(stages);

      expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src']));
      expect(sources.filter((source) => !isInBuildContext(source, dockerignore))).toEqual([]);
    });

    it.each(['.env', 'node_modules', 'dist', '.stack', '.stack-1/data/db-primary', 'test/e2e', 'bench/results'])(
      'should keep %s out',
      (path) => {
        expect(isInBuildContext(path, dockerignore)).toBe(false);
      },
    );
  });
});
