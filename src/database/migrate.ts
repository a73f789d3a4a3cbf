/**
 * The one-shot migration job (`npm run migrate`, compose service `migrate`): runs pending migrations on the
 * primary under a PostgreSQL advisory lock, so two jobs (or two app servers started with one each) never
 * run the same migration twice. Never run at app start.
 */
import { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';
import { primaryDataSource } from './primary-locator';

/** Any constant works as long as every migrate job uses the same one; this spells "migrate". */
export const MIGRATION_LOCK_KEY = 0x6d6967726174;

export async function migrate(config: AppConfig): Promise<string[]> {
  const dataSource = await primaryDataSource(config, 'migrate', {
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    // One connection: the session-level advisory lock and the migrations share it; never closed while idle.
    poolSize: 1,
    extra: { idleTimeoutMillis: 0 },
  });
  try {
    const [{ locked }] = await dataSource.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY]);
    if (!locked) {
      console.log('migrate: another migration job holds the lock; waiting for it');
      await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    }
    try {
      const applied = await dataSource.runMigrations();
      return applied.map((m) => m.name);
    } finally {
      await dataSource.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
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
