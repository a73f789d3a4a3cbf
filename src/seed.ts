/**
 * Demo data (`npm run stack -- seed`, or `node dist/seed.js` with the app's settings): inserts sample
 * articles on the primary when the table is empty; safe to run again.
 */
import { Article } from './articles/article.entity';
import { AppConfig } from './config/app-config';
import { primaryDataSource } from './database/primary-locator';

const SAMPLES = 50;

async function seed(config: AppConfig): Promise<number> {
  const dataSource = await primaryDataSource(config, 'seed', { entities: [Article] });
  try {
    return await dataSource.transaction(async (em) => {
      if ((await em.count(Article)) > 0) return 0;
      const drafts = Array.from({ length: SAMPLES }, (_, i) => ({
        title: `Sample article ${i + 1}`,
        body: `Written to db-primary, replicated to every replica. Sample ${i + 1} of ${SAMPLES}.`,
      }));
      await em.insert(Article, drafts);
      return drafts.length;
    });
  } finally {
    await dataSource.destroy();
  }
}

seed(AppConfig.fromEnv(process.env))
  .then((count) => console.log(count ? `seed: inserted ${count} articles` : 'seed: articles exist already; nothing to do'))
  .catch((error: Error) => {
    console.error(`seed: failed: ${error.message}`);
    process.exit(1);
  });
