import { parseLsn } from './lsn';
import { Session } from './session';

const node = { positionAfter: async () => null };

describe('Session', () => {
  it("should judge a piece of work by its own reads' lower bounds, not by the request's first read", async () => {
    const session = new Session();
    session.recordRead(node, parseLsn('0/900'), Promise.resolve(parseLsn('0/950'))); // e.g. on the primary
    const mark = session.readMark();
    session.recordRead(node, parseLsn('0/300'), Promise.resolve(parseLsn('0/320')), 'r1');
    session.recordRead(node, parseLsn('0/400'), Promise.resolve(parseLsn('0/420')), 'r1');
    await session.settled();

    expect(session.readsSince(mark)).toEqual({ lowerBound: parseLsn('0/300'), bounded: true });
  });

  it('should say a piece of work is unbounded when one of its reads had no position read behind it or no lower bound', async () => {
    const session = new Session();
    const mark = session.readMark();
    session.recordRead(node, parseLsn('0/300'), Promise.resolve(null), 'r1');
    await session.settled();
    const other = session.readMark();
    session.recordRead(node, undefined, Promise.resolve(parseLsn('0/500')));
    await session.settled();

    expect(session.readsSince(mark)).toEqual({ lowerBound: undefined, bounded: false });
    expect(session.readsSince(other)).toEqual({ lowerBound: undefined, bounded: true });
  });

  it('should require all a request has seen of its later reads, and keep the higher of two tokens', async () => {
    const session = new Session();
    session.requireToken({ position: parseLsn('0/500'), issuedAt: 1 });
    session.requireToken({ position: parseLsn('0/400'), issuedAt: 2 });
    expect(session.minimumPosition()).toBe(parseLsn('0/500'));

    session.recordRead(node, parseLsn('0/600'), Promise.resolve(parseLsn('0/700')), 'r1');
    await session.settled();

    expect(session.minimumPosition()).toBe(parseLsn('0/700'));
  });

  it('should ask each node read without a position once, after its last read there, for the token', async () => {
    const session = new Session();
    const asked: number[] = [];
    const primary = { positionAfter: async (moment: number) => (asked.push(moment), parseLsn('0/A00')) };
    session.recordRead(primary, parseLsn('0/900'), Promise.resolve(null));
    session.recordRead(primary, parseLsn('0/900'), Promise.resolve(null));
    session.recordRead(node, parseLsn('0/300'), Promise.resolve(parseLsn('0/320')), 'r1');

    expect(await session.positionSeen()).toBe(parseLsn('0/A00'));
    expect(asked).toHaveLength(1);
  });

  it("should bound a piece of work's reads that had no position by asking their node after them", async () => {
    const session = new Session();
    const mark = session.readMark();
    session.recordRead({ positionAfter: async () => parseLsn('0/A00') }, parseLsn('0/900'), Promise.resolve(null));
    await session.settled();
    expect(session.readsSince(mark).bounded).toBe(false);

    await session.boundReadsSince(mark);

    expect(session.readsSince(mark)).toEqual({ lowerBound: parseLsn('0/900'), bounded: true });
    expect(session.seenLsn).toBe(parseLsn('0/A00'));
  });

  it('should leave those reads unbounded when their node cannot tell its position', async () => {
    const session = new Session();
    const mark = session.readMark();
    session.recordRead(node, parseLsn('0/900'), Promise.resolve(null));
    await session.settled();

    await session.boundReadsSince(mark);

    expect(session.readsSince(mark).bounded).toBe(false);
  });

  describe('reads with no position behind them, by choice (the token names their replica)', () => {
    const asking = (position: string) => {
      const asked: number[] = [];
      return { asked, node: { positionAfter: async (moment: number) => (asked.push(moment), parseLsn(position)) } };
    };

    it('should name the replica in the outgoing token and ask it nothing', async () => {
      const session = new Session();
      const replica = asking('0/500');
      session.recordDeferredRead(replica.node, parseLsn('0/300'), 'r1');
      session.recordDeferredRead(replica.node, parseLsn('0/310'), 'r1');

      expect(await session.outgoingPosition()).toEqual({ lsn: parseLsn('0/310'), seenOn: 'r1' });
      expect(replica.asked).toEqual([]);
    });

    it("should let a write's position bound the replica reads done before it: no replica named, nothing asked", async () => {
      const session = new Session();
      const replica = asking('0/500');
      session.recordDeferredRead(replica.node, parseLsn('0/300'), 'r1');
      session.startWrite();
      session.recordWrite(Promise.resolve(parseLsn('0/900')));

      expect(await session.outgoingPosition()).toEqual({ lsn: parseLsn('0/900') });
      expect(replica.asked).toEqual([]);
    });

    it("should keep naming the replica when the request's write committed nothing (it failed): no position bounds those reads", async () => {
      const session = new Session();
      const replica = asking('0/500');
      session.recordDeferredRead(replica.node, parseLsn('0/300'), 'r1');
      session.startWrite();

      expect(await session.outgoingPosition()).toEqual({ lsn: parseLsn('0/300'), seenOn: 'r1' });
      expect(replica.asked).toEqual([]);
    });

    it('should ask the replica for a read done after the write began (run alongside it), which the write does not bound', async () => {
      const session = new Session();
      const replica = asking('0/A00');
      session.startWrite();
      await new Promise((resolve) => setTimeout(resolve, 2));
      session.recordDeferredRead(replica.node, parseLsn('0/300'), 'r1');
      session.recordWrite(Promise.resolve(parseLsn('0/900')));

      expect(await session.outgoingPosition()).toEqual({ lsn: parseLsn('0/A00') });
      expect(replica.asked).toHaveLength(1);
    });

    it("should carry the client's claim on a request that read no replica (a cache hit), and drop it once resolved", async () => {
      const carried = new Session();
      carried.requireToken({ position: parseLsn('0/200'), issuedAt: 1, seenOn: 'r2' });
      const resolved = new Session();
      resolved.requireToken({ position: parseLsn('0/200'), issuedAt: 1, seenOn: 'r2' });
      resolved.resolveReplicaClaim(parseLsn('0/450'));

      expect(await carried.outgoingPosition()).toEqual({ lsn: parseLsn('0/200'), seenOn: 'r2' });
      expect(resolved.minimumPosition()).toBe(parseLsn('0/450'));
      expect(await resolved.outgoingPosition()).toEqual({ lsn: parseLsn('0/450') });
    });

    it('should read with positions while a cache load is under way, and without once it ends', () => {
      const session = new Session();

      const during = (session.beginLoad(), session.positionsWanted);
      session.endLoad();

      expect([during, session.positionsWanted]).toEqual([true, false]);
    });
  });
});
