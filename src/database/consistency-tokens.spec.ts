import { AppConfig } from '../config/app-config';
import { RequestContext } from '../request-context/request-context';
import { ConsistencyTokenCodec } from './consistency-token';
import { ConsistencyTokens } from './consistency-tokens';
import { parseLsn, UNKNOWN_POSITION } from './lsn';
import { TopologyMonitor } from './topology-monitor';

const SECRET = 'a-secret-of-sixteen-chars';
const cluster = { systemIdentifier: '7300000000000000001', timeline: 2 };
const config = AppConfig.fromEnv({ CONSISTENCY_TOKEN_SECRET: SECRET, CONSISTENCY_TOKEN_TTL_SECONDS: '60' });
const tokens = () => new ConsistencyTokens(config, { primaryState: cluster, databaseNow: () => Date.now() } as unknown as TopologyMonitor);
const sign = (overrides = {}) =>
  new ConsistencyTokenCodec(SECRET, 60_000).encode({ systemId: cluster.systemIdentifier, timeline: cluster.timeline, lsn: parseLsn('0/500'), issuedAt: Date.now(), ...overrides });

describe('ConsistencyTokens', () => {
  describe('accept', () => {
    it('should require reads at the position of a valid token of this cluster', () => {
      const context = new RequestContext('r');

      tokens().accept(sign(), context);

      expect(context.session.minimumPosition()).toBe(parseLsn('0/500'));
      expect(context.session.tokenDistrust).toBeUndefined();
    });

    it('should distrust a token of another timeline (from before a failover)', () => {
      const context = new RequestContext('r');

      tokens().accept(sign({ timeline: 1 }), context);

      expect({ required: context.session.minimumPosition(), distrust: context.session.tokenDistrust }).toEqual({ required: undefined, distrust: 'foreign-token' });
    });

    // Issue 14, item 10: a junk token must not buy primary capacity (every read on the primary, past the cache).
    it.each([
      ['signed with another key', new ConsistencyTokenCodec('another-sixteen-char-key', 60_000).encode({ systemId: '1', timeline: 1, lsn: 1n, issuedAt: Date.now() })],
      ['junk', 'x'],
    ])('should count a token %s and treat it as absent', (_what, text) => {
      const service = tokens();
      const context = new RequestContext('r');

      service.accept(text, context);

      expect({ required: context.session.minimumPosition(), freshnessMatters: context.session.freshnessMatters }).toEqual({ required: undefined, freshnessMatters: false });
      expect(context.session.tokenDistrust).toBeUndefined();
      expect(service.stats.invalid).toBe(1);
    });

    it('should ignore an expired token altogether', () => {
      const context = new RequestContext('r');

      tokens().accept(sign({ issuedAt: Date.now() - 61_000 }), context);

      expect({ required: context.session.minimumPosition(), distrust: context.session.tokenDistrust }).toEqual({ required: undefined, distrust: undefined });
    });
  });

  describe('issue', () => {
    it('should issue nothing for a request that touched no data', async () => {
      await expect(tokens().issue(new RequestContext('r'))).resolves.toBeUndefined();
    });

    it('should cover the client\'s token, the request\'s write and the position after its last read', async () => {
      const context = new RequestContext('r');
      context.recordDbNode('db-replica-1', 'replica');
      context.session.requireToken({ position: parseLsn('0/500'), issuedAt: Date.now() });
      context.session.observe(parseLsn('0/700'));
      // A read whose position was not read behind it: the token asks the node after the fact.
      context.session.recordRead({ positionAfter: async () => parseLsn('0/900') }, undefined, Promise.resolve(null));

      const issued = await tokens().issue(context);

      const decoded = new ConsistencyTokenCodec(SECRET, 60_000).decode(issued!);
      expect(decoded).toMatchObject({ status: 'valid', token: { systemId: cluster.systemIdentifier, timeline: 2, lsn: parseLsn('0/900') } });
    });

    it('should name the replica a read went to without a position, and take the name back from the client', async () => {
      const context = new RequestContext('r');
      context.recordDbNode('db-replica-2', 'replica');
      context.session.recordDeferredRead({ positionAfter: async () => parseLsn('0/900') }, parseLsn('0/600'), 'db-replica-2');

      const issued = await tokens().issue(context);
      const next = new RequestContext('r2');
      tokens().accept(issued, next);

      expect(new ConsistencyTokenCodec(SECRET, 60_000).decode(issued!)).toMatchObject({ status: 'valid', token: { lsn: parseLsn('0/600'), seenOn: 'db-replica-2' } });
      expect({ claim: next.session.replicaClaim, required: next.session.minimumPosition() }).toEqual({ claim: 'db-replica-2', required: parseLsn('0/600') });
    });

    it('should carry the cache floor of a write whose invalidation failed, and give one position in one second one token', async () => {
      const service = tokens();
      const context = new RequestContext('r');
      context.recordDbNode('db-primary', 'primary:write');
      context.session.observe(parseLsn('0/900'));
      context.session.raiseCacheFloor(parseLsn('0/900'));

      const [first, second] = [await service.issue(context), await service.issue(context)];

      const decoded = new ConsistencyTokenCodec(SECRET, 60_000).decode(first!);
      expect(decoded).toMatchObject({ status: 'valid', token: { lsn: parseLsn('0/900'), cacheFloor: parseLsn('0/900') } });
      expect(decoded.token!.issuedAt % 1000).toBe(0);
      // Equal unless the second turned in between.
      expect(second === first || new ConsistencyTokenCodec(SECRET, 60_000).decode(second!).token!.issuedAt > decoded.token!.issuedAt).toBe(true);
    });

    it('should keep the first date of a token whose write position was lost, so that it expires', async () => {
      const service = tokens();
      const context = new RequestContext('r');
      const firstIssued = Date.now() - 30_000;
      service.accept(sign({ lsn: UNKNOWN_POSITION, issuedAt: firstIssued }), context);
      context.recordDbNode('db-primary', 'primary:token-ahead');

      const issued = await service.issue(context);

      expect(new ConsistencyTokenCodec(SECRET, 60_000).decode(issued!)).toMatchObject({ status: 'valid', token: { lsn: UNKNOWN_POSITION, issuedAt: firstIssued } });
    });
  });

  // Issue 14, item 6b: a token's age was judged by each app server's own clock. With clocks apart by more than
  // the token's lifetime, the server ahead took every token for expired and read-your-writes was off, silently.
  describe('across app servers whose clocks disagree', () => {
    const databaseTime = 1_800_000_000_000;
    const serverWithClockOff = (offsetMs: number) =>
      new ConsistencyTokens(config, { primaryState: cluster, databaseNow: () => Date.now() - offsetMs } as unknown as TopologyMonitor);

    afterEach(() => jest.restoreAllMocks());

    it('should judge a token\'s age by the database\'s clock, not the server\'s', async () => {
      const writer = new RequestContext('write');
      writer.recordDbNode('db-primary', 'primary:write');
      writer.session.observe(parseLsn('0/900'));
      const clock = jest.spyOn(Date, 'now').mockReturnValue(databaseTime);
      const token = await serverWithClockOff(0).issue(writer);

      clock.mockReturnValue(databaseTime + 120_000); // the same moment on a server whose clock is 2 min ahead
      const reader = new RequestContext('read');
      serverWithClockOff(120_000).accept(token, reader);

      expect(reader.session.minimumPosition()).toBe(parseLsn('0/900'));
    });
  });
});
