import { existsSync } from 'node:fs';

/** Debian packages the benchmark needs besides the stack's; scripts/setup.sh installs both. */
export const BENCH_PACKAGES: Record<string, string> = {
  '/usr/bin/wrk': 'wrk',
};

export function missingBenchPackages(): string[] {
  return Object.entries(BENCH_PACKAGES)
    .filter(([file]) => !existsSync(file))
    .map(([, pkg]) => pkg);
}
