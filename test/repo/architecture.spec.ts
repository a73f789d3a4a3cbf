import { ESLint } from 'eslint';
import { join } from 'node:path';

// The architecture rule in eslint.config.mjs, checked against code a feature module might contain.
const ROOT = join(__dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT });

async function violations(code: string, file = 'src/orders/orders.service.ts'): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax').map((m) => m.ruleId!);
}

describe('The architecture rule (feature modules use the NestJS + TypeORM idiom, never the routing internals)', () => {
  it('should let a feature module use repositories, the data source, entity managers and transactions', async () => {
    const code = `
      import { InjectDataSource, InjectEntityManager, InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
      import { DataSource, EntityManager, Repository } from 'typeorm';
      import { Consistency, usePrimary } from '../database/consistency';
      export const imports = [TypeOrmModule.forFeature([])];
      export { InjectDataSource, InjectEntityManager, InjectRepository, DataSource, EntityManager, Repository, Consistency, usePrimary };
    `;

    expect(await violations(code)).toEqual([]);
  });

  it.each([
    ["import { Pool } from 'pg'; export { Pool };", 'pg'],
    ["import QueryStream from 'pg-query-stream'; export { QueryStream };", 'pg-query-stream'],
    ["import { LoadBalancer } from '../database/load-balancer'; export { LoadBalancer };", 'the load balancer'],
    ["import { DatabaseNode } from '../database/database-node'; export { DatabaseNode };", 'a node'],
    ["import { PostgresNode } from '../database/postgres-node'; export { PostgresNode };", 'the pools'],
    ["import { Session } from '../database/session'; export { Session };", 'the per-request session'],
    ["import { RoutingDriver } from '../database/routing-driver'; export { RoutingDriver };", 'the routing driver'],
    ["import { TypeOrmModule } from '@nestjs/typeorm'; export const m = TypeOrmModule.forRoot({});", 'a data source of its own (forRoot)'],
    ["import { DataSource } from 'typeorm'; export const d = new DataSource({ type: 'postgres' });", 'a data source of its own (new DataSource)'],
  ])('should refuse %s (%s)', async (code) => {
    expect(await violations(code)).toHaveLength(1);
  });

  it('should let the database module itself use the internals', async () => {
    expect(await violations("import { Pool } from 'pg'; export { Pool };", 'src/database/postgres-node.ts')).toEqual([]);
  });
});
