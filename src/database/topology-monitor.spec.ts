import { parseLsn } from './lsn';
import type { DatabaseNode } from './database-node';
import type { Leadership } from './patroni-leadership';
import { Host } from './host';
import { hysteresis, probedNode, probeRow, ProbeAnswer, topologyOf } from './testing/fakes';
import { Fencing, judge, NodeProbeRow, TopologyMonitor } from './topology-monitor';

const thresholds = { maxLagBytes: 1000, maxLagSeconds: 5 };
const row = (overrides: Partial<NodeProbeRow> = {}): NodeProbeRow => ({
  cluster_name: 'db-replica-1',
  in_recovery: true,
  read_only: true,
  lsn: '0/1000',
  receive_lsn: '0/1000',
  receiving: true,
  paused: false,
  replay_age_seconds: 3600,
  apply_delay_ms: 0,
  timeline: 1,
  system_identifier: '7300000000000000001',
  clock_ms: null,
  ...overrides,
});

describe('judge (one replica probe)', () => {
  it('should report zero lag on an idle, caught-up replica however old its last replayed commit', () => {
    const verdict = judge(row({ replay_age_seconds: 86_400 }), parseLsn('0/1000'), thresholds);

    expect(verdict.problem).toBeNull();
    expect(verdict.observed).toMatchObject({ lagBytes: 0, lagSeconds: 0 });
  });

  it('should measure lag in bytes as primary LSN minus replay LSN', () => {
    const verdict = judge(row({ replay_age_seconds: 1 }), parseLsn('0/1200'), thresholds);

    expect(verdict.observed).toMatchObject({ lagBytes: 0x200, lagSeconds: 1 });
    expect(verdict.problem).toBeNull();
  });

  it('should find a problem over the byte threshold', () => {
    expect(judge(row({ replay_age_seconds: 1 }), parseLsn('0/2000'), thresholds).problem).toMatch(/lag 4096 bytes > 1000/);
  });

  it('should find a problem over the seconds threshold while behind', () => {
    expect(judge(row({ replay_age_seconds: 9 }), parseLsn('0/1010'), thresholds).problem).toMatch(/lag 9\.0 s > 5 s/);
  });

  it('should refuse a node out of recovery (a primary) at once, without waiting for a streak', () => {
    const verdict = judge(row({ in_recovery: false, read_only: false }), parseLsn('0/1000'), thresholds);

    expect(verdict).toMatchObject({ problem: expect.stringMatching(/takes writes/), immediate: true, observed: { role: 'primary' } });
  });

  it('should exclude at once a replica behind the primary\'s timeline (not following it yet, or diverged)', () => {
    const verdict = judge(row({ timeline: 11 }), parseLsn('0/1000'), thresholds, 12);

    expect(verdict).toMatchObject({ problem: 'on timeline 11, the primary on 12', immediate: true });
  });

  it('should keep a reachable replica eligible while the primary is unreachable', () => {
    const verdict = judge(row(), null, thresholds);

    expect(verdict.problem).toBeNull();
    expect(verdict.observed.lagBytes).toBeNull();
  });

  it('should exclude at once a replica of another cluster (another system identifier)', () => {
    const verdict = judge(row({ system_identifier: '7399999999999999999' }), parseLsn('0/1000'), thresholds, 1, '7300000000000000001');

    expect(verdict).toMatchObject({ problem: expect.stringMatching(/another cluster/), immediate: true });
  });

  it('should report a paused replay', () => {
    expect(judge(row({ paused: true }), parseLsn('0/1000'), thresholds).observed.replayPaused).toBe(true);
  });
});

// Issue 14, item 7: one failed probe of the primary (a timeout behind other queries, a dropped packet) cleared
// it, and every write answered 503 until the next round.
describe('TopologyMonitor (following the primary)', () => {
  const cluster = (answers: Record<string, ProbeAnswer>) => {
    const nodes = Object.keys(answers).map((name) => probedNode(name, () => answers[name]));
    const topology = topologyOf(...nodes);
    return { topology, monitor: new TopologyMonitor(topology, thresholds, 1000), answers };
  };
  const timedOut = () => new Error('timeout exceeded when trying to connect');

  it('should keep an analytics replica eligible however far behind (its replay may wait for a report), unlike a replica of the rotation', async () => {
    const behind = (name: string) => probeRow(name, 'replica', { lsn: '0/1000', replay_age_seconds: 600 });
    const topology = topologyOf(
      probedNode('db-primary', () => probeRow('db-primary', 'primary', { lsn: '0/900000' })),
      probedNode('db-replica-1', () => behind('db-replica-1')),
    );
    topology.hosts.add(new Host(probedNode('db-analytics', () => behind('db-analytics')), hysteresis, 'analytics'));
    const monitor = new TopologyMonitor(topology, thresholds, 1000);

    for (let round = 0; round < 3; round++) await monitor.probeAll();

    const eligible = Object.fromEntries(topology.hosts.all().map((h) => [h.name, h.eligible]));
    expect(eligible).toMatchObject({ 'db-replica-1': false, 'db-analytics': true });
    expect(topology.hosts.byName('db-analytics')!.health).toMatchObject({ purpose: 'analytics', lagSeconds: 600 });
  });

  it('should write to the first Galera member and read from the others, each judged by its lag behind the writer', async () => {
    const member = (name: string, lsn: string) => probeRow(name, 'primary', { lsn, multi_writer: true });
    const { topology, monitor } = cluster({ 'galera-1': member('galera-1', '0/20'), 'galera-2': member('galera-2', '0/20'), 'galera-3': member('galera-3', '0/18') });

    for (let round = 0; round < 3; round++) await monitor.probeAll();

    expect(topology.primary?.name).toBe('galera-1');
    const health = Object.fromEntries(topology.hosts.all().map((h) => [h.name, { eligible: h.eligible, role: h.health.role, lagBytes: h.health.lagBytes }]));
    expect(health).toEqual({
      'galera-1': { eligible: false, role: 'primary', lagBytes: null },
      'galera-2': { eligible: true, role: 'replica', lagBytes: 0 },
      'galera-3': { eligible: true, role: 'replica', lagBytes: 8 },
    });
  });

  it('should move the writes to the next Galera member once the writer stops answering, and keep it through one missed probe first', async () => {
    const member = (name: string) => probeRow(name, 'primary', { multi_writer: true });
    const { topology, monitor, answers } = cluster({ 'galera-1': member('galera-1'), 'galera-2': member('galera-2') });
    await monitor.probeAll();

    answers['galera-1'] = timedOut();
    await monitor.probeAll();
    const afterOne = topology.primary?.name;
    await monitor.probeAll();

    expect(afterOne).toBe('galera-1');
    expect(topology.primary?.name).toBe('galera-2');
  });

  it('should keep a primary through one failed probe, and drop it after a second', async () => {
    const { topology, monitor, answers } = cluster({ 'db-primary': probeRow('db-primary', 'primary'), 'db-replica-1': probeRow('db-replica-1', 'replica') });
    await monitor.probeAll();

    answers['db-primary'] = timedOut();
    await monitor.probeAll();
    const afterOne = topology.primary?.name;
    await monitor.probeAll();

    expect(afterOne).toBe('db-primary');
    expect(topology.primary).toBeUndefined();
  });

  it('should read the time by the primary\'s clock, whatever this server\'s says (issue 14, item 6b)', async () => {
    const primary = probedNode('db-primary', () => probeRow('db-primary', 'primary', { clock_ms: Date.now() + 300_000 }));
    const monitor = new TopologyMonitor(topologyOf(primary), thresholds, 1000);

    await monitor.probeAll();

    expect(Math.abs(monitor.databaseNow() - (Date.now() + 300_000))).toBeLessThan(1000);
  });

  it('should drop at once a primary that answers in recovery (demoted)', async () => {
    const { topology, monitor, answers } = cluster({ 'db-primary': probeRow('db-primary', 'primary'), 'db-replica-1': probeRow('db-replica-1', 'replica') });
    await monitor.probeAll();

    answers['db-primary'] = probeRow('db-primary', 'replica');
    await monitor.probeAll();

    expect(topology.primary).toBeUndefined();
  });

  it("should keep a replica on the primary's timeline when its WAL receiver stops and only its last restartpoint's older timeline shows", async () => {
    const { topology, monitor, answers } = cluster({
      'db-primary': probeRow('db-primary', 'primary', { timeline: 3 }),
      'db-replica-1': probeRow('db-replica-1', 'replica', { timeline: 3, receiving: true }),
    });
    await monitor.probeAll();

    // The primary dies: the receiver is gone, and the timeline the probe finds is the last restartpoint's
    answers['db-primary'] = timedOut();
    answers['db-replica-1'] = probeRow('db-replica-1', 'replica', { timeline: 2, receiving: false });
    await monitor.probeAll();

    const [replica] = topology.hosts.all().filter((h) => h.name === 'db-replica-1');
    expect(replica.health.timeline).toBe(3);
    expect(replica.eligible).toBe(true);
  });

  it('should still exclude at once a replica that never streamed on the primary\'s timeline (an old primary back before pg_rewind)', async () => {
    const { topology, monitor } = cluster({
      'db-replica-1': probeRow('db-replica-1', 'primary', { timeline: 3 }),
      'db-primary': probeRow('db-primary', 'replica', { timeline: 2, receiving: false }),
    });
    await monitor.probeAll();

    const [old] = topology.hosts.all().filter((h) => h.name === 'db-primary');
    expect(old.eligible).toBe(false);
  });

  it('should follow a promoted node at once while the old primary fails its first probe', async () => {
    const { topology, monitor, answers } = cluster({ 'db-primary': probeRow('db-primary', 'primary'), 'db-replica-1': probeRow('db-replica-1', 'replica') });
    await monitor.probeAll();

    answers['db-primary'] = timedOut();
    answers['db-replica-1'] = probeRow('db-replica-1', 'primary', { timeline: 2 });
    await monitor.probeAll();

    expect(topology.primary?.name).toBe('db-replica-1');
  });
});

// Issue 14, item 11: election trusted PostgreSQL state alone: a promoted clone of another cluster on a later
// timeline (say, a copy someone started where db-replicas resolves) took the writes.
describe('TopologyMonitor (fencing by system identifier)', () => {
  const thresholds = { maxLagBytes: 1000, maxLagSeconds: 5 };

  it('should keep the cluster\'s primary when a node of another cluster claims the role on a later timeline', async () => {
    const answers: Record<string, ProbeAnswer> = { 'db-primary': probeRow('db-primary', 'primary'), 'db-replica-1': probeRow('db-replica-1', 'replica') };
    const topology = topologyOf(...Object.keys(answers).map((name) => probedNode(name, () => answers[name])));
    const monitor = new TopologyMonitor(topology, thresholds, 1000);
    await monitor.probeAll();

    answers['db-replica-1'] = probeRow('db-replica-1', 'primary', { timeline: 7, system_identifier: '7399999999999999999' });
    await monitor.probeAll();

    expect(topology.primary?.name).toBe('db-primary');
    expect(topology.hosts.byName('db-replica-1')!.eligible).toBe(false);
  });

  it('should elect nobody rather than a node of another cluster when the cluster\'s primary is gone', async () => {
    const answers: Record<string, ProbeAnswer> = { 'db-primary': probeRow('db-primary', 'primary'), 'db-replica-1': probeRow('db-replica-1', 'replica') };
    const topology = topologyOf(...Object.keys(answers).map((name) => probedNode(name, () => answers[name])));
    const monitor = new TopologyMonitor(topology, thresholds, 1000);
    await monitor.probeAll();

    answers['db-primary'] = new Error('connect ECONNREFUSED');
    answers['db-replica-1'] = probeRow('db-replica-1', 'primary', { timeline: 2, system_identifier: '7399999999999999999' });
    await monitor.probeAll();
    await monitor.probeAll();

    expect(topology.primary).toBeUndefined();
    expect(topology.primaryProblem).toMatch(/another cluster/);
  });
});

/** Nodes answering `answers` (changeable between rounds), watched by a monitor fenced by `fencing`. */
function fencedCluster(answers: Record<string, ProbeAnswer>, fencing: Fencing) {
  const topology = topologyOf(...Object.keys(answers).map((name) => probedNode(name, () => answers[name])));
  return { topology, monitor: new TopologyMonitor(topology, { maxLagBytes: 1000, maxLagSeconds: 5 }, 1000, fencing), answers };
}

// Issue 14, item 11: a PITR copy of this very cluster (the same system identifier) promoted on a later timeline
// won the election: PostgreSQL's state cannot tell it from a promoted replica; Patroni (the leader key) can.
describe('TopologyMonitor (fencing by Patroni)', () => {
  /** Patroni on every node, as a fake: what it says of each node (by name), and who was asked. */
  const patroni = (says: Record<string, Leadership>) => {
    const asked: string[] = [];
    return { says, asked, of: async (node: DatabaseNode) => (asked.push(node.name), says[node.name] ?? 'not-leader') };
  };
  const copyOfPrimary = (timeline: number) => probeRow('db-primary-copy', 'primary', { timeline });

  it('should keep the primary Patroni confirms when a copy of the cluster without Patroni is promoted on a later timeline', async () => {
    const leadership = patroni({ 'db-primary': 'leader', 'db-primary-copy': 'unanswered' });
    const { topology, monitor, answers } = fencedCluster({ 'db-primary': probeRow('db-primary', 'primary'), 'db-replica-1': probeRow('db-replica-1', 'replica'), 'db-primary-copy': probeRow('db-primary-copy', 'replica') }, { leadership });
    await monitor.probeAll();

    answers['db-primary-copy'] = copyOfPrimary(2);
    await monitor.probeAll();

    expect(topology.primary?.name).toBe('db-primary');
    expect(topology.hosts.byName('db-replica-1')!.eligible).toBe(true);
  });

  it('should not elect at start a writable node whose Patroni says it does not lead, on a later timeline or not', async () => {
    const leadership = patroni({ 'db-primary': 'leader', 'db-primary-copy': 'not-leader' });
    const { topology, monitor } = fencedCluster({ 'db-primary-copy': copyOfPrimary(2), 'db-primary': probeRow('db-primary', 'primary'), 'db-replica-1': probeRow('db-replica-1', 'replica') }, { leadership });

    await monitor.probeAll();

    expect(topology.primary?.name).toBe('db-primary');
  });

  it('should elect nobody while the only writable node is one Patroni never confirmed', async () => {
    const leadership = patroni({ 'db-primary-copy': 'unanswered' });
    const { topology, monitor } = fencedCluster({ 'db-primary-copy': copyOfPrimary(2), 'db-replica-1': probeRow('db-replica-1', 'replica') }, { leadership });

    await monitor.probeAll();

    expect(topology.primary).toBeUndefined();
    expect(topology.primaryProblem).toMatch(/db-primary-copy accepts writes but Patroni there does not answer/);
  });

  it('should keep the primary while its Patroni does not answer and PostgreSQL there still takes writes (Patroni restarting)', async () => {
    const leadership = patroni({ 'db-primary': 'leader' });
    const { topology, monitor } = fencedCluster({ 'db-primary': probeRow('db-primary', 'primary'), 'db-replica-1': probeRow('db-replica-1', 'replica') }, { leadership });
    await monitor.probeAll();

    leadership.says['db-primary'] = 'unanswered';
    for (let round = 0; round < 5; round++) await monitor.probeAll();

    expect(topology.primary?.name).toBe('db-primary');
  });

  it('should drop the primary at once when its Patroni says it no longer leads', async () => {
    const leadership = patroni({ 'db-primary': 'leader' });
    const { topology, monitor } = fencedCluster({ 'db-primary': probeRow('db-primary', 'primary'), 'db-replica-1': probeRow('db-replica-1', 'replica') }, { leadership });
    await monitor.probeAll();

    leadership.says['db-primary'] = 'not-leader';
    await monitor.probeAll();

    expect(topology.primary).toBeUndefined();
    expect(topology.primaryProblem).toMatch(/Patroni there says it does not lead/);
  });

  it('should follow a failover: the promoted node confirmed by its Patroni, the old primary\'s Patroni silent', async () => {
    const leadership = patroni({ 'db-primary': 'leader' });
    const { topology, monitor, answers } = fencedCluster({ 'db-primary': probeRow('db-primary', 'primary'), 'db-replica-1': probeRow('db-replica-1', 'replica') }, { leadership });
    await monitor.probeAll();

    // Patroni on db-primary died, PostgreSQL there still runs; the leader key expired and db-replica-1 was promoted.
    leadership.says['db-primary'] = 'unanswered';
    leadership.says['db-replica-1'] = 'leader';
    answers['db-replica-1'] = probeRow('db-replica-1', 'primary', { timeline: 2 });
    await monitor.probeAll();

    expect(topology.primary?.name).toBe('db-replica-1');
  });

  it('should ask Patroni only about nodes that take writes', async () => {
    const leadership = patroni({ 'db-primary': 'leader' });
    const { monitor } = fencedCluster({ 'db-primary': probeRow('db-primary', 'primary'), 'db-replica-1': probeRow('db-replica-1', 'replica') }, { leadership });

    await monitor.probeAll();

    expect(leadership.asked).toEqual(['db-primary']);
  });
});

// Issue 14, item 11: with the identifier pinned by the first election, a stray that is the only writable node at
// start (DB_PRIMARY_HOST pointing at a clone of another cluster) was pinned, and this cluster's nodes refused.
describe('TopologyMonitor (a configured system identifier)', () => {
  const ours = '7300000000000000001';
  const theirs = '7399999999999999999';

  it('should not elect, nor pin, a node of another cluster that is the only writable node at start', async () => {
    const { topology, monitor } = fencedCluster(
      { 'db-primary': probeRow('db-primary', 'primary', { system_identifier: theirs }), 'db-replica-1': probeRow('db-replica-1', 'replica', { system_identifier: ours }) },
      { systemIdentifier: ours },
    );

    await monitor.probeAll();

    expect(topology.primary).toBeUndefined();
    expect(topology.primaryProblem).toMatch(/belongs to another cluster/);
    expect(topology.hosts.byName('db-replica-1')!.eligible).toBe(true);
  });

  it('should never read from a replica of another cluster, even before any primary is elected', async () => {
    const { topology, monitor } = fencedCluster(
      { 'db-replica-1': probeRow('db-replica-1', 'replica', { system_identifier: theirs }), 'db-replica-2': probeRow('db-replica-2', 'replica', { system_identifier: ours }) },
      { systemIdentifier: ours },
    );

    await monitor.probeAll();

    expect(topology.hosts.byName('db-replica-1')!.eligible).toBe(false);
    expect(topology.hosts.byName('db-replica-2')!.eligible).toBe(true);
  });

  it('should elect the cluster\'s primary once it answers', async () => {
    const { topology, monitor, answers } = fencedCluster(
      { 'db-primary': probeRow('db-primary', 'primary', { system_identifier: theirs }), 'db-replica-1': probeRow('db-replica-1', 'replica', { system_identifier: ours }) },
      { systemIdentifier: ours },
    );
    await monitor.probeAll();

    answers['db-replica-1'] = probeRow('db-replica-1', 'primary', { system_identifier: ours, timeline: 2 });
    await monitor.probeAll();

    expect(topology.primary?.name).toBe('db-replica-1');
  });
});
