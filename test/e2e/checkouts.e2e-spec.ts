import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_STACK_INDEX, STACK_INDEX } from '../../stack/topology';
import { ScratchCheckout, StackRun } from './support/scratch-checkout';

/**
 * Issue 15: a stack started from a checkout that only root can enter, and a second checkout on the same
 * stack index. Their stack runs on an index of its own, beside the suite's, which it leaves alone.
 */
const SCRATCH_INDEX = (STACK_INDEX + 128) % (MAX_STACK_INDEX + 1);
/** 0700, like /root on Debian or a `mktemp -d` folder: the postgres and nobody users cannot enter it. */
const PRIVATE_PARENT = join(tmpdir(), `nest-replica-starter-checkouts-${SCRATCH_INDEX}`);

const expectSuccess = (run: StackRun) => expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.any(String) });

/** `npm run stack -- status` as "name state role" lines. */
const states = (status: StackRun) => status.output.trim().split('\n').map((line) => line.trim().split(/\s+/).slice(0, 3).join(' '));
/** Every default service healthy, db-primary leading, redis the Redis master: the whole stack as `up` leaves it. */
const WHOLE_STACK = [
  'dns healthy 10.213', 'etcd healthy 10.213', 'db-primary healthy primary', 'db-replica-1 healthy replica', 'db-replica-2 healthy replica',
  'db-analytics healthy replica', 'redis healthy master', 'redis-replica healthy replica', 'redis-sentinel-1 healthy 10.213', 'redis-sentinel-2 healthy 10.213',
  'redis-sentinel-3 healthy 10.213', 'app-1 healthy 10.213', 'app-2 healthy 10.213', 'lb healthy 10.213',
].map((line) => expect.stringContaining(line));

async function removeAll(checkouts: ScratchCheckout[]): Promise<void> {
  for (const checkout of checkouts) await checkout.stack('down', '--volumes').catch(() => undefined);
  rmSync(PRIVATE_PARENT, { recursive: true, force: true });
}

describe(`Stacks of other checkouts (on STACK_INDEX=${SCRATCH_INDEX})`, () => {
  let first: ScratchCheckout;
  let second: ScratchCheckout;
  let firstUp: StackRun;

  beforeAll(async () => {
    await removeAll(ScratchCheckout.leftUnder(PRIVATE_PARENT, SCRATCH_INDEX));
    mkdirSync(PRIVATE_PARENT, { mode: 0o700 });
    chmodSync(PRIVATE_PARENT, 0o700); // whatever the umask
    first = ScratchCheckout.copyTo(join(PRIVATE_PARENT, 'first'), SCRATCH_INDEX);
    second = ScratchCheckout.copyTo(join(PRIVATE_PARENT, 'second'), SCRATCH_INDEX);

    firstUp = await first.stack('up', '--no-build');
  }, 240_000);

  afterAll(() => removeAll([first, second].filter(Boolean)), 120_000);

  describe('a checkout inside a directory only root can enter', () => {
    it('should start every service, db-primary leading', async () => {
      const status = await first.stack('status');

      expectSuccess(firstUp);
      expect(firstUp.output).toMatch(/stack is up/);
      expect(states(status)).toEqual(WHOLE_STACK);
    });

    it("should keep PostgreSQL's data in the checkout, 0700 and owned by postgres", () => {
      const data = statSync(join(first.dir, `.stack-${SCRATCH_INDEX}`, 'data', 'db-replica-1'));

      expect(data.mode & 0o777).toBe(0o700);
      expect(data.uid).not.toBe(0);
    });

    it("should hand a slow client a large response whole, through nginx's temporary files (its workers run as nobody)", async () => {
      const edgeCache = join(first.dir, `.stack-${SCRATCH_INDEX}`, 'lb', 'edge-cache');
      // The operators' port: the public name answers /docs 404. The edge cache stores this file, so nginx's worker
      // writes it into the cache's directory in the checkout as it arrives (proxy_cache_path use_temp_path=off),
      // and serves the second request from there.
      const slowFetch = () =>
        first.stack('exec', 'client', 'curl', '-s', '--limit-rate', '1M', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %header{content-length} %header{x-edge-cache}', 'http://lb:9080/docs/swagger-ui-bundle.js');

      const fetched = [await slowFetch(), await slowFetch()];

      fetched.forEach(expectSuccess);
      const answers = fetched.map((run) => run.output.trim().split(' '));
      expect(answers.map(([status, received, sent, edge]) => ({ status, whole: received === sent, edge }))).toEqual([
        { status: '200', whole: true, edge: 'MISS' },
        { status: '200', whole: true, edge: 'HIT' },
      ]);
      const owners = readdirSync(edgeCache, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => statSync(join(entry.parentPath, entry.name)).uid);
      expect(owners).toHaveLength(1);
      expect(owners[0]).not.toBe(0);
    }, 30_000);
  });

  describe('another checkout on the same stack index', () => {
    it('should start nothing, and name the checkout whose stack holds the index and both ways out', async () => {
      const up = await second.stack('up', '--no-build');

      expect(up.status).not.toBe(0);
      expect(up.output).toContain(`stack index ${SCRATCH_INDEX} is taken by the stack of the checkout ${first.dir}`);
      expect(up.output).toMatch(/STACK_INDEX=\d+ npm run stack -- up/);
      expect(up.output).toContain(`cd ${first.dir} && STACK_INDEX=${SCRATCH_INDEX} npm run stack -- down`);
      expect(existsSync(join(second.dir, `.stack-${SCRATCH_INDEX}`, 'logs'))).toBe(false);
    });

    it("should stop nothing of the first checkout's stack on down", async () => {
      const down = await second.stack('down');
      const status = await first.stack('status');

      expectSuccess(down);
      expect(down.output).toMatch(/nothing was stopped/);
      expectSuccess(status);
      expect(states(status)).toEqual(WHOLE_STACK);
    });
  });
});
