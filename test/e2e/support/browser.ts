import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium } from 'playwright-core';
import { TEST_PACKAGES } from '../../../stack/native/stack';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's headless Chromium, driven by playwright-core, with a fresh profile. The flags keep it off the
 * network (no background fetches, updates, sync or QUIC): the only addresses it talks to are the stack's.
 */
export async function launchBrowser(): Promise<{ browser: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install ${Object.values(TEST_PACKAGES).join(' ')} (scripts/setup.sh installs it)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'nrs-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
