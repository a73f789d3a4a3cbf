/**
 * The one-shot migration job (`npm run migrate`, compose service `migrate`): runs pending migrations on the
 * primary under a lock every migrate job takes (PostgreSQL: an advisory lock; MariaDB: a named lock), so two jobs
 * (or two app servers started with one each) never run the same migration twice. Never run at app start.
 */
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { migrationsFor } from './migrations';
import { primaryDataSource } from './primary-locator';

/** Any constant works as long as every migrate job uses the same one; this spells "migrate". */
export const MIGRATION_LOCK_KEY = 0x6d6967726174;

/** The lock, held by the job's one connection from before it reads the applied migrations until it is done. */
interface MigrationLock {
  tryTake(): Promise<boolean>;
  take(): Promise<void>;
  release(): Promise<void>;
}

function postgresLock(dataSource: DataSource): MigrationLock {
  return {
    tryTake: async () => (await dataSource.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY]))[0].locked,
    take: async () => void (await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])),
    release: async () => void (await dataSource.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])),
  };
}

/**
 * MariaDB's named locks belong to the server, not to a database as PostgreSQL's advisory locks do: the name
 * carries the database's. GET_LOCK answers 1 once taken and 0 at its timeout.
 */
function mariaDbLock(dataSource: DataSource, database: string): MigrationLock {
  const name = `migrate:${database}`;
  const getLock = async (timeoutSeconds: number) => Number((await dataSource.query('SELECT GET_LOCK(?, ?) AS locked', [name, timeoutSeconds]))[0].locked) === 1;
  return {
    tryTake: () => getLock(0),
    take: async () => {
      while (!(await getLock(60)));
    },
    release: async () => void (await dataSource.query('SELECT RELEASE_LOCK(?)', [name])),
  };
}

export async function migrate(config: AppConfig): Promise<string[]> {
  const dataSource = await primaryDataSource(config, 'migrate', {
    migrations: migrationsFor(config.DB_DIALECT),
    migrationsTransactionMode: 'each',
    // One connection: the session's lock and the migrations share it; never closed while idle.
    poolSize: 1,
    extra: config.DB_DIALECT === 'mariadb' ? { idleTimeout: 24 * 3600 * 1000 } : { idleTimeoutMillis: 0 },
  });
  try {
    const lock = config.DB_DIALECT === 'mariadb' ? mariaDbLock(dataSource, config.DB_NAME) : postgresLock(dataSource);
    if (!(await lock.tryTake())) {
      console.log('migrate: another migration job holds the lock; waiting for it');
      await lock.take();
    }
    try {
      const applied = await dataSource.runMigrations();
      return applied.map((m) => m.name);
    } finally {
      await lock.release();
    }
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  migrate(AppConfig.fromEnv(process.env))
    .then((applied) => {
      console.log(applied.length ? `migrate: applied ${applied.join(', ')}` : 'migrate: nothing to apply');
    })
    .catch((error: Error) => {
      console.error(`migrate: failed: ${error.message}`);
      process.exit(1);
    });
}
