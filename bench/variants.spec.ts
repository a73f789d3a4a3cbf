import { APP_BEHIND_NGINX, BENCH_SERVERS, VARIANTS } from './variants';

describe('BENCH_SERVERS', () => {
  it('should give every server its own app port and its own nginx port, none of them the stack’s', () => {
    const ports = BENCH_SERVERS.map((s) => s.port);
    const lbPorts = BENCH_SERVERS.map((s) => s.lbPort);

    expect(new Set(ports).size).toBe(ports.length);
    expect(new Set(lbPorts).size).toBe(lbPorts.length);
    expect([...ports, ...lbPorts]).not.toContain(3000);
    expect(lbPorts).not.toContain(80);
  });

  it('should run the peer as the same build with REPLICA_ROUTING=typeorm, on its own port', () => {
    const peer = BENCH_SERVERS.find((s) => s.name === 'app-typeorm')!;
    const fixed = BENCH_SERVERS.find((s) => s.name === 'app-fixed')!;

    expect(peer.command).toEqual(fixed.command);
    expect(peer.env('app-1')).toMatchObject({ REPLICA_ROUTING: 'typeorm', PORT: String(peer.port), APP_INSTANCE: 'app-1-typeorm' });
    expect(VARIANTS['app-typeorm']).toBe(peer);
  });

  // A shared cache would measure each variant with the others' entries: the fixed and TypeORM variants fill entries
  // without positions, which the app does not serve (a miss for it), while they serve the app's.
  it('should give each app variant a cache of its own (a Redis database apart from the app’s 0)', () => {
    const databases = BENCH_SERVERS.filter((s) => s.name.startsWith('app-')).map((s) => s.env('app-1').REDIS_DB ?? '0');

    expect(new Set(['0', ...databases]).size).toBe(databases.length + 1);
  });

  it('should scrape metrics from the app variants only', () => {
    expect(BENCH_SERVERS.filter((s) => s.metricsUrls.length > 0).map((s) => s.name)).toEqual(['app-fixed', 'app-typeorm']);
  });
});

describe('VARIANTS', () => {
  it("should put app behind nginx on a port of its own, where the edge cache stores nothing, and app-edge on the public port", () => {
    expect(VARIANTS.app.lbPort).toBe(APP_BEHIND_NGINX.lbPort);
    expect([APP_BEHIND_NGINX.lbPort, ...BENCH_SERVERS.map((s) => s.lbPort)]).not.toContain(80);
    expect(VARIANTS['app-edge'].lbPort).toBe(80);
    expect(VARIANTS['app-edge'].metricsUrls).toEqual(VARIANTS.app.metricsUrls);
  });
});
