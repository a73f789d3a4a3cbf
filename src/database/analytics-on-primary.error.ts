/**
 * An analytics route asked for the primary: a raw `query()`, a transaction or a write, which TypeORM runs on its
 * master runner. A report must not reach the primary unseen (docs/analytics.md); a route that means to write, or to
 * read there, says so with `usePrimary(() => …)`. A programming error: it answers 500.
 */
export class AnalyticsOnPrimaryError extends Error {
  constructor() {
    super(
      "an @Consistency('analytics') route ran a raw query(), a transaction or a write, which go to the primary: read through a query builder, " +
        "a repository or dataSource.createQueryRunner('slave'), or wrap what must run on the primary in usePrimary(() => …)",
    );
  }
}
