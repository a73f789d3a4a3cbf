import { RequestContext } from './request-context';

describe('RequestContext', () => {
  describe('cacheStatus (X-Cache)', () => {
    it('should say HIT when every lookup of the request hit', () => {
      const context = new RequestContext('r');

      context.cacheStatus = 'HIT';
      context.cacheStatus = 'HIT';

      expect(context.cacheStatus).toBe('HIT');
    });

    it('should say MISS once any lookup missed, whatever the lookups after it found', () => {
      const context = new RequestContext('r');

      context.cacheStatus = 'MISS';
      context.cacheStatus = 'HIT';

      expect(context.cacheStatus).toBe('MISS');
    });

    it('should say nothing for a request that looked nothing up', () => {
      expect(new RequestContext('r').cacheStatus).toBeUndefined();
    });
  });
});
