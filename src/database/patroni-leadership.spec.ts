import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { DatabaseNode } from './database-node';
import { PatroniLeadership } from './patroni-leadership';

const nodeAt = (host: string) => ({ endpoint: { host, port: 5432 } }) as DatabaseNode;

/** A stand-in for Patroni's REST API: `GET /primary` answers `status`, or never (`null`: Patroni stuck). */
async function patroniAnswering(status: number | null): Promise<{ server: Server; port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((request, response) => {
    paths.push(`${request.method} ${request.url}`);
    if (status !== null) response.writeHead(status).end('{"role":"replica"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, paths };
}

describe('PatroniLeadership', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  it.each([
    [200, 'leader'],
    [503, 'not-leader'],
    [404, 'unanswered'],
    [500, 'unanswered'],
  ])('should read GET /primary answering %i as %s', async (status, leadership) => {
    const patroni = await patroniAnswering(status);
    server = patroni.server;

    expect(await new PatroniLeadership(patroni.port, 1000).of(nodeAt('127.0.0.1'))).toBe(leadership);
    expect(patroni.paths).toEqual(['GET /primary']);
  });

  it('should count no answer within the timeout as unanswered', async () => {
    const patroni = await patroniAnswering(null);
    server = patroni.server;

    expect(await new PatroniLeadership(patroni.port, 50).of(nodeAt('127.0.0.1'))).toBe('unanswered');
  });

  it('should count a refused connection (no Patroni on the node) as unanswered', async () => {
    const patroni = await patroniAnswering(200);
    await new Promise((resolve) => patroni.server.close(resolve));

    expect(await new PatroniLeadership(patroni.port, 1000).of(nodeAt('127.0.0.1'))).toBe('unanswered');
  });
});
