import { ARTICLES } from './bench-data';
import type { VariantName } from './variants';
import type { Load, WrkReport } from './wrk';

export type ScenarioName = 'cached-get' | 'uncached-get' | 'list-page' | 'mixed' | 'writes';

export interface Scenario {
  name: ScenarioName;
  /** What one request does, for the table's legend. */
  description: string;
  /** The wrk script in bench/wrk/. */
  script: string;
  /**
   * The app first, then what it is compared with: the fixed-routing app, the peer on TypeORM's own replication,
   * and a bare server when one applies.
   */
  variants: readonly VariantName[];
  /** The bare server doing the same read, and the share of its requests/s the app should reach. */
  ceiling?: { variant: VariantName; minRatio: number };
  /** The wrk script's arguments for the next run. */
  args(load: Load): string[];
  /** Told about each run, warm-ups included. */
  ran?(report: WrkReport): void;
}

/** The cached scenario's ids, 1..HOT_ARTICLES: in the cache after warm-up. */
export const HOT_ARTICLES = 100;
const MIXED_READ_ARTICLES = 1000;
const MIXED_WRITE_PERCENT = 10;
const LIST_LIMIT = 20;

/**
 * A walk through ids lo..hi (wrapping) that each run continues where the last one stopped, so that no id is
 * requested twice within the cache's TTL (the set holds minutes of requests) and every request misses.
 */
export class IdWalk {
  private next: number;

  constructor(
    private readonly lo: number,
    private readonly hi: number,
  ) {
    this.next = lo;
  }

  /** walk.lua's arguments: prefix lo hi start threads. */
  args(prefix: string, load: Load): string[] {
    return [prefix, this.lo, this.hi, this.next, load.threads].map(String);
  }

  advance(report: WrkReport): void {
    if (report.furthest === undefined) throw new Error('walk.lua reported no furthest position');
    this.next = report.furthest + 1;
  }
}

export function scenarios(): Scenario[] {
  const articleWalk = new IdWalk(MIXED_READ_ARTICLES + 1, ARTICLES);
  const cursorWalk = new IdWalk(MIXED_READ_ARTICLES + 1, ARTICLES);
  return [
    {
      name: 'cached-get',
      description: `GET /articles/:id over ${HOT_ARTICLES} ids, each in the cache after warm-up`,
      script: 'hot-set.lua',
      variants: ['app', 'app-fixed', 'app-typeorm', 'redis-ceiling'],
      ceiling: { variant: 'redis-ceiling', minRatio: 0.7 },
      args: () => [String(HOT_ARTICLES)],
    },
    {
      name: 'uncached-get',
      description: `GET /articles/:id, each id once (of ${ARTICLES}): a cache miss and a read on a replica`,
      script: 'walk.lua',
      variants: ['app', 'app-fixed', 'app-typeorm', 'pg-ceiling'],
      ceiling: { variant: 'pg-ceiling', minRatio: 0.5 },
      args: (load) => articleWalk.args('/articles/', load),
      ran: (report) => articleWalk.advance(report),
    },
    {
      name: 'list-page',
      description: `GET /articles?limit=${LIST_LIMIT}&cursor=n, each cursor once: a cache miss and a ${LIST_LIMIT + 1}-row keyset read`,
      script: 'walk.lua',
      variants: ['app', 'app-fixed', 'app-typeorm'],
      args: (load) => cursorWalk.args(`/articles?limit=${LIST_LIMIT}&cursor=`, load),
      ran: (report) => cursorWalk.advance(report),
    },
    {
      name: 'mixed',
      // The same client for every variant: it sends back whatever token it got. Only the app issues tokens, so the
      // peers serve the same requests without read-your-writes: the difference is what the guarantee costs.
      description: `${100 - MIXED_WRITE_PERCENT} % GET /articles/:id over ${MIXED_READ_ARTICLES} ids, ${MIXED_WRITE_PERCENT} % POST /articles; tokens sent back (only the app issues them)`,
      script: 'mixed.lua',
      variants: ['app', 'app-fixed', 'app-typeorm'],
      args: () => [String(MIXED_READ_ARTICLES), String(MIXED_WRITE_PERCENT)],
    },
    {
      name: 'writes',
      description: 'POST /articles {title, body}',
      script: 'writes.lua',
      variants: ['app', 'app-fixed', 'app-typeorm'],
      args: () => [],
    },
  ];
}
