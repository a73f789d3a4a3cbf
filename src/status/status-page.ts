import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT_PATH = '/status/status.js';

/**
 * The page's two files, plain HTML and vanilla JS with no build step (nest-cli.json copies them into dist). The
 * page asks for the script by its content's hash: nginx and browsers keep the script a day (docs/edge-cache.md),
 * and a new release's page must not run with the last one's script.
 */
@Injectable()
export class StatusPage {
  readonly script = readFileSync(join(__dirname, 'page', 'status.js'), 'utf8');
  readonly scriptUrl = `${SCRIPT_PATH}?v=${createHash('sha256').update(this.script).digest('hex').slice(0, 12)}`;
  readonly html = readFileSync(join(__dirname, 'page', 'status.html'), 'utf8').replace(`src="${SCRIPT_PATH}"`, `src="${this.scriptUrl}"`);
}
