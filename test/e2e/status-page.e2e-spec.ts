import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../../stack/native/paths';
import { launchBrowser } from './support/browser';
import { closeClient, get, operatorsUrl } from './support/client';
import { uncachedListPath } from './support/conduit';
import { expectProblem } from './support/problem';
import { onNode, pauseReplay, resumeReplay } from './support/stack-control';
import { TestApp } from './support/test-app';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const NODES = ['client', 'dns', 'lb', 'app-1', 'app-2', 'db-primary', 'db-replica-1', 'db-replica-2', 'db-analytics', 'redis'];

/** The page as an operator opens it: from the load balancer's operators' port, which hands its polls to either app server. */
const STATUS_URL = `${operatorsUrl()}/status`;

describe('GET /status, the live topology page, in headless Chromium', () => {
  let page: Page;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    const { browser, close } = await launchBrowser();
    closeBrowser = close;
    page = await browser.newPage();
    await page.goto(STATUS_URL);
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await closeBrowser?.();
    closeClient();
  });

  it('should draw every node: DNS, the load balancer, both app servers, the primary, each replica, the analytics replica apart, Redis', async () => {
    for (const node of NODES) await page.locator(`[data-node="${node}"]`).waitFor({ state: 'visible', timeout: 10_000 });

    const replicas = await page.locator('[data-role="replica"]').all();
    expect(await Promise.all(replicas.map((card) => card.getAttribute('data-eligible')))).toEqual(['true', 'true']);
    expect(await page.locator('[data-role="analytics"]').getAttribute('data-node')).toBe('db-analytics');
    expect(await page.locator('[data-node="db-primary"] .badge').textContent()).toBe('writable');
  });

  it('should show which replica served the last reads', async () => {
    for (let i = 0; i < 10; i++) await get(uncachedListPath());

    await page.locator('[data-role="replica"] .reads', { hasText: /last read \d+\.\d s ago via app-\d/ }).first().waitFor({ timeout: 10_000 });
  });

  it('should turn a paused replica excluded, with its reason, once its lag passes the byte threshold', async () => {
    await pauseReplay('db-replica-1');
    try {
      // ~16 MB of WAL, past REPLICA_MAX_LAG_BYTES (8 MiB).
      await onNode('db-primary', "CREATE TABLE wal_filler AS SELECT g, repeat('x', 500) AS pad FROM generate_series(1, 30000) g");
      const replica = page.locator('[data-node="db-replica-1"][data-eligible="false"]');
      await replica.waitFor({ timeout: 20_000 });

      expect(await replica.locator('.badge').textContent()).toBe('excluded');
      expect(await replica.locator('.reason').textContent()).toMatch(/^lag \d+ bytes > 8388608$/);
      expect(await replica.locator('.lag-bytes .fill').getAttribute('class')).toContain('bad');
      expect(await page.locator('[data-node="db-replica-2"]').getAttribute('data-eligible')).toBe('true');
      await page.screenshot({ path: join(ARTIFACTS, 'status-page-replica-excluded.png'), fullPage: true });
    } finally {
      await resumeReplay('db-replica-1');
      await onNode('db-primary', 'DROP TABLE IF EXISTS wal_filler');
    }
    await page.locator('[data-node="db-replica-1"][data-eligible="true"]').waitFor({ timeout: 30_000 });
  });
});

describe('GET /status with STATUS_PAGE=false', () => {
  it('should answer 404, as if there were no page', async () => {
    const app = await TestApp.start({ STATUS_PAGE: 'false' });
    try {
      const [page, data] = await Promise.all([app.get('/status'), app.get('/status/topology.json')]);

      expectProblem(page, 404);
      expectProblem(data, 404);
    } finally {
      await app.stop();
    }
  });
});
