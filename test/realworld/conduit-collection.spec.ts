import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const VENDORED = __dirname;
// The project's shared folder sits beside the repository on developers' machines, not always in CI.
const SHARED = join(__dirname, '..', '..', '..', 'shared', 'realworld');

describe('The vendored RealWorld suite', () => {
  // Skipped only in a clone with no ../shared beside it; the e2e test runs the vendored copy either way.
  const itWhenSharedPresent = existsSync(SHARED) ? it : it.skip;

  itWhenSharedPresent.each(['Conduit.postman_collection.json', 'openapi.yml', 'LICENSE'])('should hold %s byte for byte as ../shared/realworld has it', (file) => {
    const vendored = readFileSync(join(VENDORED, file));

    expect(vendored.equals(readFileSync(join(SHARED, file)))).toBe(true);
  });

  it('should be a Postman collection that reads its API from {{APIURL}}', () => {
    const collection = JSON.parse(readFileSync(join(VENDORED, 'Conduit.postman_collection.json'), 'utf8')) as { info: { schema: string } };

    expect(collection.info.schema).toMatch(/schema\.getpostman\.com/);
    expect(readFileSync(join(VENDORED, 'Conduit.postman_collection.json'), 'utf8')).toContain('{{APIURL}}/users');
  });
});
