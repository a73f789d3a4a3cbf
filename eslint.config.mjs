// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.stack/', '.stack-*/', 'jest.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', URL: 'readonly', process: 'readonly' } },
  },
  {
    // The status page's script runs in the browser, as it is: no build step, no modules.
    files: ['src/status/page/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', location: 'readonly', fetch: 'readonly', CSS: 'readonly', setInterval: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unsafe-function-type': 'off', // entity class lists are Function[] in TypeORM's API
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The architecture rule: only the database module touches TypeORM's connection objects. Feature
    // modules read and write through ReplicatedDatabase, so routing can never be bypassed by accident.
    files: ['src/**/*.ts'],
    ignores: ['src/database/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'typeorm',
              importNames: ['DataSource', 'Connection', 'QueryRunner', 'createConnection', 'getConnection'],
              message: 'Feature modules use ReplicatedDatabase (src/database), never a TypeORM DataSource.',
            },
            { name: '@nestjs/typeorm', message: 'The database module owns connections: use ReplicatedDatabase.' },
            { name: 'pg', message: 'The database module owns connections: use ReplicatedDatabase.' },
          ],
          patterns: [
            {
              group: ['**/database/database-node', '**/database/load-balancer', '**/database/replica-list'],
              message: 'Feature modules use ReplicatedDatabase, not the routing internals.',
            },
          ],
        },
      ],
    },
  },
);
