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
    // The architecture rule: feature modules use the NestJS + TypeORM idiom (TypeOrmModule.forFeature,
    // @InjectRepository, @InjectDataSource, @InjectEntityManager, repositories, query builders, transactions)
    // and never pg, the pools or the routing internals: only the database module (src/database) touches those,
    // so routing can never be bypassed by accident.
    files: ['src/**/*.ts'],
    // The request context carries the session; it is plumbing, not a feature module.
    ignores: ['src/database/**', 'src/request-context/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'typeorm', importNames: ['createConnection', 'getConnection'], message: 'The database module owns the data source: inject it with @InjectDataSource().' },
            { name: 'pg', message: 'The database module owns connections: use repositories (@InjectRepository) or the data source.' },
            { name: 'pg-query-stream', message: 'Stream with a query builder’s stream(): the routing gives it a connection of its own.' },
          ],
          patterns: [
            {
              group: [
                '**/database/database-node',
                '**/database/postgres-node',
                '**/database/load-balancer',
                '**/database/host-list',
                '**/database/routed-connection',
                '**/database/routing-driver',
                '**/database/position-tracking-client',
                '**/database/session',
              ],
              message: 'Routing internals: feature modules use TypeORM as usual, and @Consistency / usePrimary() from database/consistency.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='TypeOrmModule'][callee.property.name=/^forRoot/]",
          message: 'DatabaseModule.forRoot() configures the one data source; feature modules use TypeOrmModule.forFeature().',
        },
        { selector: "NewExpression[callee.name='DataSource']", message: 'A DataSource of your own bypasses the routing: inject the app’s with @InjectDataSource().' },
      ],
    },
  },
);
