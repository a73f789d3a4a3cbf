import { ARTICLES, BENCH_SLUG_PREFIX } from './bench-data';
import type { VariantName } from './variants';
import type { Load, WrkReport } from './wrk';

export type ScenarioName = 'cached-get' | 'uncached-get' | 'list-page' | 'mixed' | 'writes' | 'edge-get';

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
  /** The wrk script's arguments for the next run; `signedIn`: the access tokens of the bench's users. */
  args(load: Load, signedIn: readonly string[]): string[];
  /** Told about each run, warm-ups included. */
  ran?(report: WrkReport): void;
}

/** The cached scenario's articles, bench-article-1..HOT_ARTICLES: in the cache after warm-up. */
export const HOT_ARTICLES = 100;
const MIXED_READ_ARTICLES = 1000;
const MIXED_WRITE_PERCENT = 10;
const LIST_LIMIT = 20;
/** list-page reads the first pages of the article list, Conduit's home page. */
const LIST_PAGES = 10;
const ARTICLE_PATH = `/api/articles/${BENCH_SLUG_PREFIX}`;

/** One signed-in user per wrk thread. */
function perThread(signedIn: readonly string[], load: Load): string[] {
  if (signedIn.length < load.threads) throw new Error(`${load.threads} wrk threads need as many signed-in users, not ${signedIn.length}`);
  return signedIn.slice(0, load.threads);
}

/**
 * A walk through ids lo..hi (wrapping) that each run continues where the last one stopped, so that no id (the
 * number of a bench article's slug) is requested twice within the cache's TTL (the set holds minutes of
 * requests) and every request misses.
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
  return [
    {
      name: 'cached-get',
      description: `GET /api/articles/:slug over ${HOT_ARTICLES} articles, anonymous, each in the cache after warm-up`,
      script: 'hot-set.lua',
      variants: ['app', 'app-fixed', 'app-typeorm', 'redis-ceiling'],
      ceiling: { variant: 'redis-ceiling', minRatio: 0.7 },
      args: () => [ARTICLE_PATH, String(HOT_ARTICLES)],
    },
    {
      name: 'uncached-get',
      description: `GET /api/articles/:slug, anonymous, each article once (of ${ARTICLES}): a cache miss and a read on a replica`,
      script: 'walk.lua',
      variants: ['app', 'app-fixed', 'app-typeorm', 'pg-ceiling'],
      ceiling: { variant: 'pg-ceiling', minRatio: 0.5 },
      args: (load) => articleWalk.args(ARTICLE_PATH, load),
      ran: (report) => articleWalk.advance(report),
    },
    {
      name: 'list-page',
      description: `GET /api/articles?limit=${LIST_LIMIT}&offset=n over the first ${LIST_PAGES} pages, anonymous: lists are not cached, so a count, a page of ids and its rows each`,
      script: 'hot-set.lua',
      variants: ['app', 'app-fixed', 'app-typeorm'],
      args: () => [`/api/articles?limit=${LIST_LIMIT}&offset=`, String(LIST_PAGES), String(LIST_LIMIT), '0'],
    },
    {
      name: 'mixed',
      // The same clients for every variant: they send back whatever token they got. Only the app issues tokens, so
      // the peers serve the same requests without read-your-writes: the difference is what the guarantee costs.
      description: `${100 - MIXED_WRITE_PERCENT} % GET /api/articles/:slug over ${MIXED_READ_ARTICLES} articles, ${MIXED_WRITE_PERCENT} % POST /api/articles; signed in, tokens sent back (only the app issues them)`,
      script: 'mixed.lua',
      variants: ['app', 'app-fixed', 'app-typeorm'],
      args: (load, signedIn) => [ARTICLE_PATH, String(MIXED_READ_ARTICLES), String(MIXED_WRITE_PERCENT), ...perThread(signedIn, load)],
    },
    {
      name: 'writes',
      description: 'POST /api/articles {title, description, body, tagList}, signed in',
      script: 'writes.lua',
      variants: ['app', 'app-fixed', 'app-typeorm'],
      args: (load, signedIn) => perThread(signedIn, load),
    },
    {
      name: 'edge-get',
      // The same requests both ways: on the public port nginx's edge cache answers what it holds (1 s, then one
      // request refills an entry), on app's port every one reaches an app (and its Redis cache).
      description: `GET /api/articles/:slug over ${HOT_ARTICLES} articles, anonymous: through the public port, nginx's edge cache in front (app-edge), and with every request reaching an app (app)`,
      script: 'hot-set.lua',
      variants: ['app', 'app-edge'],
      args: () => [ARTICLE_PATH, String(HOT_ARTICLES)],
    },
  ];
}
