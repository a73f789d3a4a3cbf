import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { REPO_ROOT } from '../../../stack/native/paths';

export interface StackRun {
  status: number | null;
  output: string;
}

/**
 * A second checkout of this repository, elsewhere, with its own stack on its own index: what git would check
 * out (tracked files and new ones, with their uncommitted edits), this checkout's build and its node_modules.
 */
export class ScratchCheckout {
  private constructor(
    readonly dir: string,
    readonly stackIndex: number,
  ) {}

  static copyTo(dir: string, stackIndex: number): ScratchCheckout {
    const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (listed.status !== 0) throw new Error(`git ls-files: ${listed.stderr}`);
    const files = listed.stdout.split('\0').filter((file) => file && existsSync(join(REPO_ROOT, file)));
    const wanted = new Set(files.flatMap((file) => [file, ...ancestors(file)]));
    cpSync(REPO_ROOT, dir, { recursive: true, filter: (source) => source === REPO_ROOT || wanted.has(relative(REPO_ROOT, source)) });
    cpSync(join(REPO_ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    return new ScratchCheckout(dir, stackIndex);
  }

  /** Every checkout copied under `parent` by an earlier run (one that crashed before it cleaned up, say). */
  static leftUnder(parent: string, stackIndex: number): ScratchCheckout[] {
    if (!existsSync(parent)) return [];
    return readdirSync(parent)
      .map((name) => join(parent, name))
      .filter((dir) => existsSync(join(dir, 'stack', 'cli.ts')))
      .map((dir) => new ScratchCheckout(dir, stackIndex));
  }

  /** `npm run stack -- <args>` in this checkout, on its stack index (fast PostgreSQL settings: throwaway data). */
  stack(...args: string[]): Promise<StackRun> {
    const env: NodeJS.ProcessEnv = { ...process.env, STACK_INDEX: String(this.stackIndex), STACK_FAST: '1' };
    delete env.STACK_DIR; // the suite's, if it set one
    delete env.NODE_OPTIONS; // jest's
    return new Promise((resolve, reject) => {
      const child = spawn('npm', ['run', '--silent', 'stack', '--', ...args], { cwd: this.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, output }));
    });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function ancestors(file: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(file); dir !== '.'; dir = dirname(dir)) dirs.push(dir);
  return dirs;
}
