import { parseWrkReport } from './wrk';

const output = `Running 8s test @ http://api.example.test/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    18.99ms   25.89ms 222.58ms   91.38%
  1214 requests in 2.03s, 859.93KB read
Requests/sec:    598.00
wrk-report {"duration_us":2000000,"served_by":{"db-replica-1":24,"db-replica-2":26},"errors":{"connect":1,"read":2,"write":0,"timeout":3,"status":7},"latency_us":{"p50":11184,"max":222580,"p99":142889},"cache":{"HIT":1150,"MISS":50},"edge":{"HIT":900,"MISS":100,"BYPASS":200},"requests":1200}
`;

describe('parseWrkReport', () => {
  it('should read requests, rate and latency (in ms) from the JSON line report.lua prints', () => {
    const report = parseWrkReport(output);

    expect(report).toMatchObject({ requests: 1200, durationSeconds: 2, requestsPerSecond: 600 });
    expect(report.latencyMs).toEqual({ p50: 11.184, p99: 142.889, max: 222.58 });
  });

  it('should count non-2xx responses apart from socket errors (connect, read, write, timeout)', () => {
    expect(parseWrkReport(output)).toMatchObject({ statusErrors: 7, socketErrors: 6 });
  });

  it('should keep the X-DB-Node, X-Cache and X-Edge-Cache counts', () => {
    const report = parseWrkReport(output);

    expect(report.servedBy).toEqual({ 'db-replica-1': 24, 'db-replica-2': 26 });
    expect(report.cache).toEqual({ HIT: 1150, MISS: 50 });
    expect(report.edge).toEqual({ HIT: 900, MISS: 100, BYPASS: 200 });
  });

  it('should read how far walk.lua got, when it walked', () => {
    const walked = output.replace('"requests":1200', '"requests":1200,"furthest":201234');

    expect(parseWrkReport(walked).furthest).toBe(201234);
    expect(parseWrkReport(output).furthest).toBeUndefined();
  });

  it("should fail with wrk's own output when there is no report (wrk could not connect)", () => {
    expect(() => parseWrkReport('unable to connect to api.example.test:8081 Connection refused\n')).toThrow(/Connection refused/);
  });
});
