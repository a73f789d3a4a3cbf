import { Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The page's two files, plain HTML and vanilla JS with no build step (nest-cli.json copies them into dist). */
@Injectable()
export class StatusPage {
  readonly html = readFileSync(join(__dirname, 'page', 'status.html'), 'utf8');
  readonly script = readFileSync(join(__dirname, 'page', 'status.js'), 'utf8');
}
