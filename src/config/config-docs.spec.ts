import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { configSchema, parseConfig } from './app-config';

const root = join(__dirname, '..', '..');
const settings = Object.keys(configSchema.shape);

describe('configuration documentation', () => {
  it('should list every setting in .env.example, with a value the schema accepts', () => {
    const example = parseEnv(readFileSync(join(root, '.env.example'), 'utf8'));

    expect(Object.keys(example).sort()).toEqual([...settings].sort());
    expect(() => parseConfig(example)).not.toThrow();
  });

  it('should give every setting a row in the configuration table of docs/configuration.md', () => {
    const table = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
    const rows = [...table.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);

    expect([...new Set(rows)].sort()).toEqual([...settings].sort());
  });

  it('should give the stack only settings the schema knows', () => {
    const stackEnv = parseEnv(readFileSync(join(root, 'stack', 'app.env'), 'utf8'));

    expect(Object.keys(stackEnv).filter((key) => !settings.includes(key))).toEqual([]);
    expect(() => parseConfig(stackEnv)).not.toThrow();
  });

  // Issue 14, item 10: the stack's values are public (this repository); a copy of stack/app.env that says
  // NODE_ENV=production must not start with them.
  it('should run the stack as development, its public secrets refused in production', () => {
    const stackEnv = parseEnv(readFileSync(join(root, 'stack', 'app.env'), 'utf8'));
    const asProduction = () => parseConfig({ ...stackEnv, NODE_ENV: 'production' });

    expect(parseConfig(stackEnv).NODE_ENV).toBe('development');
    expect(asProduction).toThrow(/CONSISTENCY_TOKEN_SECRET/);
    expect(asProduction).toThrow(/JWT_SECRET/);
    expect(asProduction).toThrow(/DB_PASSWORD/);
  });
});
