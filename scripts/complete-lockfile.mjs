// npm run lockfile:complete — run after `npm install` changes package-lock.json.
//
// This machine's npm registry does not serve the native bindings of other platforms (e.g.
// @unrs/resolver-binding-darwin-arm64, pulled in by Jest 30's resolver), so `npm install` leaves them out of
// the lock file and `npm ci` then refuses the lock ("Missing: … from lock file"). A lock entry that names the
// binding's os and cpu is enough: npm skips it on every other platform without fetching it.
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['android', 'darwin', 'freebsd', 'linux', 'win32', 'openharmony', 'netbsd', 'openbsd', 'sunos', 'aix'];
const CPU = ['arm', 'arm64', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'wasm32', 'mips64el'];

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const added = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `${path ? `${path}/` : ''}node_modules/${name}`.replace(/^\/+/, '');
    const hoisted = `node_modules/${name}`;
    if (lock.packages[key] || lock.packages[hoisted]) continue;
    const words = name.split('/').pop().split('-');
    const os = words.find((w) => OS.includes(w));
    const cpu = words.find((w) => CPU.includes(w));
    if (!os || !cpu) {
      console.warn(`cannot tell the platform of ${name}; add it to the lock file by hand`);
      continue;
    }
    lock.packages[hoisted] = { version, cpu: [cpu], os: [os], optional: true, ...(entry.dev ? { dev: true } : {}) };
    added.push(name);
  }
}
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(added.length ? `added ${added.length} platform bindings: ${added.join(', ')}` : 'lock file complete');
