import { inNamespace } from '../../stack/native/daemons';
import { stackResolver } from '../../stack/native/services';
import { run } from '../../stack/native/shell';
import { PUBLIC_HOSTNAME, service } from '../../stack/topology';
import { closeClient, get, operatorsUrl, request } from './support/client';
import { ConduitClient, newArticle, uncachedListPath } from './support/conduit';
import { expectProblem } from './support/problem';
import { loopFor, onNode, startService, stopService, until } from './support/stack-control';

/** As the user: a command run in the client's namespace, whose resolver is the stack's DNS server. */
const asClient = (...command: string[]) => run(inNamespace('client', command));

async function getsDuring(ms: number, fault: () => Promise<unknown>, path: () => string) {
  const injecting = new Promise((r) => setTimeout(r, 300)).then(fault);
  const run = await loopFor(ms, async () => {
    const response = await get(path());
    if (response.status !== 200) throw new Error(`GET answered ${response.status} from ${response.headers['x-app-instance']}: ${response.body}`);
  });
  await injecting;
  return run;
}

describe('The whole topology: client → dns → lb → app-1/app-2 → primary + replicas + redis', () => {
  afterAll(() => closeClient());

  describe('DNS', () => {
    it('should resolve api.example.test to the load balancer for the client', () => {
      expect(asClient('getent', 'hosts', PUBLIC_HOSTNAME)).toMatch(new RegExp(`^${service('lb').address.replace(/\./g, '\\.')}\\s`));
    });

    it('should resolve db-replicas to every replica', async () => {
      const addresses = await stackResolver().resolve4('db-replicas');

      expect(addresses.sort()).toEqual([service('db-replica-1').address, service('db-replica-2').address].sort());
    });

    it('should answer nothing for names outside the stack (no upstream resolver)', async () => {
      await expect(stackResolver().resolve4('example.com')).rejects.toThrow();
    });
  });

  describe('through the load balancer', () => {
    it('should be ready, as curl in the client namespace sees it', () => {
      const output = asClient('curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${PUBLIC_HOSTNAME}/health/ready`);

      expect(output).toBe('200');
    });

    it('should spread 20 requests over app-1 and app-2', async () => {
      const instances = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const response = await get('/health/live');
        expect(response.status).toBe(200);
        instances.add(String(response.headers['x-app-instance']));
      }

      expect(instances).toEqual(new Set(['app-1', 'app-2']));
    });

    it('should read back an article written through it, whichever app server answers', async () => {
      const author = await ConduitClient.registered();
      const created = await author.send('POST', '/api/articles', { article: newArticle({ title: 'through the lb' }) });
      expect(created.status).toBe(201);
      const { slug } = created.json().article;
      await until('replicated', async () => (await onNode('db-replica-1', 'SELECT 1 FROM conduit_article WHERE slug = $1', [slug])).length > 0 &&
        (await onNode('db-replica-2', 'SELECT 1 FROM conduit_article WHERE slug = $1', [slug])).length > 0);

      const reads = await Promise.all([get(`/api/articles/${slug}`), get(`/api/articles/${slug}`)]);

      for (const read of reads) {
        expect(read.status).toBe(200);
        expect(read.json().article.title).toBe('through the lb');
      }
    });

    it('should list both replicas with numeric lag in /health/replication, on the operators’ port', async () => {
      const health = (await request('GET', '/health/replication', { baseUrl: operatorsUrl() })).json();

      expect(health.replicas).toHaveLength(2);
      for (const replica of health.replicas) {
        expect(replica).toMatchObject({ name: expect.stringMatching(/^db-replica-[12]$/), lagBytes: expect.any(Number), lagSeconds: expect.any(Number) });
      }
    });

    it('should pass its request id to the app and return it', async () => {
      const generated = await get('/api/articles?limit=1');
      const given = await get('/api/articles?limit=1', { 'x-request-id': 'trace-from-client' });

      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/); // nginx's $request_id
      expect(given.headers['x-request-id']).toBe('trace-from-client');
    });

    it('should refuse a body over 1 MiB with a 413 problem+json', async () => {
      const response = await request('POST', '/api/articles', { body: { article: newArticle({ body: 'x'.repeat(1_200_000) }) } });

      expectProblem(response, 413);
    });

    it('should hide the nginx version', async () => {
      expect((await get('/health/live')).headers.server).toBe('nginx');
    });
  });

  describe('failures', () => {
    it('should fail no GET while app-1 is stopped', async () => {
      try {
        const run = await getsDuring(4000, () => stopService('app-1'), () => '/api/articles?limit=5');

        expect(run.failures).toEqual([]);
        expect(run.count).toBeGreaterThan(20);
      } finally {
        await startService('app-1');
      }
    });

    it('should fail no GET while db-replica-1 is stopped', async () => {
      try {
        const run = await getsDuring(3000, () => stopService('db-replica-1'), uncachedListPath);

        expect(run.failures).toEqual([]);
        expect(run.count).toBeGreaterThan(20);
      } finally {
        await startService('db-replica-1');
      }
    });
  });
});
