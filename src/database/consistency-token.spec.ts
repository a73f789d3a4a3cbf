import { ConsistencyTokenCodec } from './consistency-token';
import { parseLsn } from './lsn';

const codec = new ConsistencyTokenCodec('test-secret', 60_000);
const token = (overrides = {}) => ({ systemId: '7310000000000000001', timeline: 1, lsn: parseLsn('0/3000060'), issuedAt: 1_000_000, ...overrides });

describe('ConsistencyTokenCodec', () => {
  it('should decode what it encoded', () => {
    const text = codec.encode(token());

    expect(codec.decode(text, 1_000_500)).toEqual({ status: 'valid', token: token() });
  });

  it('should carry a cache floor when there is one, under the signature', () => {
    const text = codec.encode(token({ cacheFloor: parseLsn('0/3000100') }));
    const floorAt = text.indexOf('3000100');
    const lowered = `${text.slice(0, floorAt)}3000000${text.slice(floorAt + 7)}`;

    expect(codec.decode(text, 1_000_500)).toEqual({ status: 'valid', token: token({ cacheFloor: parseLsn('0/3000100') }) });
    expect(codec.decode(lowered, 1_000_500).status).toBe('bad-signature');
  });

  it('should name the replica the client read from, with or without a cache floor, under the signature', () => {
    const named = token({ seenOn: 'db-replica-2' });
    const both = token({ cacheFloor: parseLsn('0/3000100'), seenOn: 'db-replica-2' });
    const moved = codec.encode(named).replace('@db-replica-2', '@db-replica-1');

    expect(codec.decode(codec.encode(named), 1_000_500)).toEqual({ status: 'valid', token: named });
    expect(codec.decode(codec.encode(both), 1_000_500)).toEqual({ status: 'valid', token: both });
    expect(codec.encode(named)).toContain('.@db-replica-2.');
    expect(codec.decode(moved, 1_000_500).status).toBe('bad-signature');
  });

  it('should refuse a replica name it could not have written, and two floors', () => {
    const text = codec.encode(token({ seenOn: 'db-replica-2' }));

    expect(codec.decode(text.replace('@db-replica-2', '@db replica'), 1_000_500).status).toBe('malformed');
    expect(codec.decode(text.replace('@db-replica-2', '0/1.0/2'), 1_000_500).status).toBe('malformed');
  });

  it('should reject a token with one character changed', () => {
    const text = codec.encode(token());
    const lsnAt = text.indexOf('3000060');
    const altered = `${text.slice(0, lsnAt)}3000061${text.slice(lsnAt + 7)}`;

    expect(codec.decode(altered, 1_000_500).status).toBe('bad-signature');
  });

  it('should reject a token with a flipped bit in its signature', () => {
    const text = codec.encode(token());
    const flipped = text.slice(0, -1) + (text.endsWith('A') ? 'B' : 'A');

    expect(codec.decode(flipped, 1_000_500).status).toBe('bad-signature');
  });

  it('should reject a token signed with another key', () => {
    const forged = new ConsistencyTokenCodec('attacker', 60_000).encode(token());

    expect(codec.decode(forged, 1_000_500).status).toBe('bad-signature');
  });

  it.each(['', 'garbage', 'v1.a.b.c.d.e', 'v2.1.1.0/1.1.sig', 'v1.1.1.0/1.1', `v1.1.1.0/1.1.${'x'.repeat(300)}`])(
    'should call %p malformed',
    (text) => {
      expect(codec.decode(text).status).toBe('malformed');
    },
  );

  it('should expire after its time to live', () => {
    expect(codec.decode(codec.encode(token()), 1_000_000 + 60_001).status).toBe('expired');
  });
});
