import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, TypeORMError } from 'typeorm';
import { DatabaseNotConnectedError } from './database-not-connected.error';
import { MariaDbRoutingDriver } from './mariadb-routing-driver';
import { RoutingDriver, RoutingNotInstalledError } from './routing-driver';

const RETRY_MS = 1000;

/**
 * The app's data source, connected at start-up — or, while no node answers, in the background, so that the
 * app still starts (health, metrics, the status page) and its queries answer 503 until then.
 */
@Injectable()
export class DatabaseConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseConnection.name);
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get connected(): boolean {
    return this.dataSource.isInitialized;
  }

  /** `error` as the HTTP layer should see it: TypeORM refusing a query before the data source connected is a 503. */
  explain(error: unknown): unknown {
    return !this.connected && error instanceof TypeORMError ? new DatabaseNotConnectedError() : error;
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    try {
      // REPLICA_ROUTING=typeorm: TypeORM's own pools, as the comparison's peer.
      const { driver } = this.dataSource.options as { driver?: unknown };
      if (driver instanceof RoutingDriver) await RoutingDriver.initialize(this.dataSource);
      else if (driver instanceof MariaDbRoutingDriver) await MariaDbRoutingDriver.initialize(this.dataSource);
      else await this.dataSource.initialize();
      if (this.retry) this.logger.log('connected');
    } catch (error) {
      // A TypeORM that bypasses the routing is not a node that will come back: stop the app at start.
      if (error instanceof RoutingNotInstalledError) throw error;
      if (this.stopped) return;
      if (!this.retry) this.logger.warn(`could not connect the data source yet, retrying every ${RETRY_MS} ms: ${(error as Error).message}`);
      this.retry = setTimeout(() => void this.connect(), RETRY_MS);
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }
}
