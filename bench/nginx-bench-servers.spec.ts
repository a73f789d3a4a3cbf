import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchServersConf } from './nginx-bench-servers';

const apiConf = readFileSync(join(__dirname, '..', 'nginx', 'conf.d', 'api.conf'), 'utf8');
const servers = [
  { name: 'app-fixed' as const, lbPort: 8081, port: 3002 },
  { name: 'pg-ceiling' as const, lbPort: 8082, port: 3100 },
];

describe('benchServersConf', () => {
  const conf = benchServersConf(apiConf, servers);

  it("should give each bench server an upstream like api.conf's, on the bench server's port", () => {
    expect(conf).toMatch(/upstream bench_app_fixed \{[^}]*server app-1:3002 max_fails=2 fail_timeout=5s;[^}]*server app-2:3002 /);
    expect(conf).toMatch(/upstream bench_pg_ceiling \{[^}]*server app-1:3100 [^}]*keepalive 32;/);
  });

  it("should serve each on its own port with api.conf's proxy settings, proxying to its upstream", () => {
    expect(conf).toContain('listen 8081;');
    expect(conf).toContain('proxy_pass http://bench_app_fixed;');
    expect(conf).toContain('proxy_pass http://bench_pg_ceiling;');
    expect(conf.match(/proxy_next_upstream error timeout http_502 http_503 http_504;/g)).toHaveLength(2);
  });

  it('should leave the shipped server alone: no second default server on port 80, no proxying to the apps', () => {
    expect(conf).not.toMatch(/listen 80\b/);
    expect(conf).not.toMatch(/listen 9080\b/);
    expect(conf).not.toContain('app_servers');
    expect(conf).not.toContain(':3000');
  });

  it('should refuse an api.conf it does not recognise rather than write a server that differs', () => {
    expect(() => benchServersConf(apiConf.replace('proxy_pass http://app_servers;', 'proxy_pass http://elsewhere;'), servers)).toThrow(/proxy_pass/);
  });
});
