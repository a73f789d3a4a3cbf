// Three projects: `unit` (specs beside the code, no servers), `e2e` (the real native stack, started once
// per run by test/e2e/global-setup.ts and stopped by global-teardown.ts, even when tests fail), and `mariadb`
// (test/mariadb: each spec starts and removes its own MariaDB servers on stack index 9, no native stack; but
// mariadb-stack.e2e-spec.ts, which runs the native stack on MariaDB on index 13: native-stack-index.ts, and
// galera-stack.e2e-spec.ts, the native stack on Galera on index 15: galera-stack-index.ts).
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };

module.exports = {
  // e2e tests wait on real servers (replication, restarts); unit tests finish long before this.
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      roots: ['<rootDir>/src', '<rootDir>/stack', '<rootDir>/bench', '<rootDir>/test/compose', '<rootDir>/test/repo', '<rootDir>/test/realworld'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform,
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
      globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
    },
    {
      displayName: 'mariadb',
      testEnvironment: 'node',
      transform,
      roots: ['<rootDir>/test/mariadb'],
      testMatch: ['**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/test/mariadb/stack-index.ts'],
    },
  ],
};
