import { createHash } from 'node:crypto';
import { StatusPage } from './status-page';

describe('StatusPage', () => {
  it("should ask for its script by the script's content hash, so a cached older script is never run", () => {
    const page = new StatusPage();
    const hash = createHash('sha256').update(page.script).digest('hex').slice(0, 12);

    expect(page.scriptUrl).toBe(`/status/status.js?v=${hash}`);
    expect(page.html).toContain(`<script src="/status/status.js?v=${hash}"></script>`);
  });
});
