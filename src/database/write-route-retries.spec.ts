import { Controller, Delete, Get, Head, INestApplication, Module, Post, Put } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { DiscoveryModule } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { ConflictRetryInterceptor } from './conflict-retry.interceptor';
import { Consistency, ConsistencyInterceptor } from './consistency';
import { CertificationRetryCounters } from './galera/certification-retry';
import { WriteRouteRetries } from './write-route-retries';

/** As TypeORM throws MariaDB's: a QueryFailedError whose driverError is mysql2's. */
const certificationConflict = () =>
  Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), {
    driverError: Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK', errno: 1213, sqlState: '40001' }),
  });

/** Each route's first run loses to a concurrent write; later runs answer. */
@Controller('things')
class ThingsController {
  static runs: Record<string, number> = {};

  private run(route: string): { runs: number } {
    const runs = (ThingsController.runs[route] = (ThingsController.runs[route] ?? 0) + 1);
    if (runs === 1) throw certificationConflict();
    return { runs };
  }

  @Get() list() { return this.run('list'); }
  @Head('peek') peek() { return this.run('peek'); }
  @Post() create() { return this.run('create'); }
  @Put(':id') update() { return this.run('update'); }
  @Delete(':id') remove() { return this.run('remove'); }
  @Get('strong') @Consistency('strong') fresh() { return this.run('fresh'); }
}

@Module({
  imports: [DiscoveryModule],
  controllers: [ThingsController],
  providers: [{ provide: CertificationRetryCounters, useValue: new CertificationRetryCounters() }, ConflictRetryInterceptor, WriteRouteRetries],
})
class ThingsModule {}

async function startApp(): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [ThingsModule] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

const interceptorsOf = (method: keyof ThingsController) => (Reflect.getMetadata(INTERCEPTORS_METADATA, ThingsController.prototype[method]) ?? []) as unknown[];

describe('WriteRouteRetries', () => {
  let apps: INestApplication[] = [];

  beforeEach(() => {
    ThingsController.runs = {};
  });

  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
  });

  it('should run a write route again when its write lost to a concurrent one, and leave GET and HEAD routes without interceptors', async () => {
    const app = await startApp();
    apps.push(app);
    const fastify = app.getHttpAdapter().getInstance();

    const answers = await Promise.all([fastify.inject({ method: 'POST', url: '/things' }), fastify.inject({ method: 'PUT', url: '/things/1' }), fastify.inject({ method: 'DELETE', url: '/things/1' })]);
    const read = await fastify.inject({ method: 'GET', url: '/things' });

    expect(answers.map((a) => [a.statusCode, a.json()])).toEqual([
      [201, { runs: 2 }],
      [200, { runs: 2 }],
      [200, { runs: 2 }],
    ]);
    expect(read.statusCode).toBe(500); // nothing retried it (this app has no problem-details filter)
    expect(ThingsController.runs.list).toBe(1);
    expect(app.get(WriteRouteRetries).routes.sort()).toEqual(['ThingsController.create', 'ThingsController.remove', 'ThingsController.update']);
    expect(interceptorsOf('list')).toEqual([]);
    expect(interceptorsOf('peek')).toEqual([]);
  });

  it('should put only the interceptor of @Consistency on a GET route that declares one', async () => {
    apps.push(await startApp());

    expect(interceptorsOf('fresh')).toEqual([ConsistencyInterceptor]);
  });

  it("should bind the newest app's interceptor once when a second app of the process binds the same handlers", async () => {
    apps.push(await startApp());
    const second = await startApp();
    apps.push(second);

    expect(interceptorsOf('create')).toEqual([second.get(ConflictRetryInterceptor)]);
  });
});
