import { Host } from './host';
import { fakeNode, hysteresis } from './testing/fakes';

const good = { problem: null, observed: { reachable: true } };
const bad = { problem: 'lag 9999 bytes > 1000', observed: { reachable: true } };

describe('Host', () => {
  it('should not serve reads before its first probe', () => {
    expect(new Host(fakeNode('r1'), hysteresis).eligible).toBe(false);
  });

  it('should be admitted by its first good probe', () => {
    const replica = new Host(fakeNode('r1'), hysteresis);

    replica.recordProbe(good);

    expect(replica.eligible).toBe(true);
    expect(replica.health.reason).toBeNull();
  });

  it('should stay admitted through fewer bad probes than excludeAfter (no flapping)', () => {
    const replica = new Host(fakeNode('r1'), hysteresis);
    replica.recordProbe(good);

    replica.recordProbe(bad);

    expect(replica.eligible).toBe(true);
    expect(replica.health.reason).toMatch(/1\/2 bad probes/);
  });

  it('should be excluded after excludeAfter consecutive bad probes and readmitted after readmitAfter good ones', () => {
    const replica = new Host(fakeNode('r1'), hysteresis);
    replica.recordProbe(good);

    replica.recordProbe(bad);
    replica.recordProbe(bad);
    expect(replica.eligible).toBe(false);
    expect(replica.health.reason).toBe(bad.problem);

    replica.recordProbe(good);
    expect(replica.eligible).toBe(false);
    expect(replica.health.reason).toMatch(/recovering: 1\/2/);

    replica.recordProbe(good);
    expect(replica.eligible).toBe(true);
  });

  it('should forget its replay position when it changes timeline or goes away (it may come back rewound)', () => {
    const replica = new Host(fakeNode('r1'), hysteresis);
    const probe = (replayLsn: string, timeline: number) => ({ problem: null, observed: { reachable: true, role: 'replica' as const, replayLsn, timeline } });

    replica.recordProbe(probe('0/9000', 11));
    replica.recordProbe(probe('0/5000', 12));
    expect(replica.knownReplayLsn).toBe(0x5000n);

    replica.recordProbe({ problem: 'unreachable', observed: { reachable: false } });
    expect(replica.knownReplayLsn).toBeUndefined();
  });

  it('should be excluded at once when a query on it fails', () => {
    const replica = new Host(fakeNode('r1'), hysteresis);
    replica.recordProbe(good);

    replica.markDown('query failed: ECONNREFUSED');

    expect(replica.eligible).toBe(false);
    expect(replica.health).toMatchObject({ reachable: false, reason: 'query failed: ECONNREFUSED' });
  });

  it('should keep a replica admitted without probes (fixed routing) after a failed read, nothing being there to readmit it', () => {
    const host = new Host(fakeNode('r1'), hysteresis);
    host.admitWithoutProbes();

    host.markDown('query failed: ECONNRESET');

    expect(host.eligible).toBe(true);
    expect(host.health.reason).toBe('query failed: ECONNRESET');
  });
});
