import { Logger } from '@nestjs/common';

/**
 * Invalidations that failed while Redis was unreachable (key → write position, 16 hex digits). Applied again
 * once Redis answers, so an entry written before the outage cannot outlive a change made during it; until
 * then their keys are neither served nor filled.
 */
export class PendingInvalidations {
  private readonly logger = new Logger('RedisCache');
  private readonly pending = new Map<string, string>();

  constructor(private readonly apply: (entries: [string, string][]) => Promise<void>) {}

  has(key: string): boolean {
    return this.pending.has(key);
  }

  /** Keeps the highest position per key. */
  defer(keys: string[], lsn: string): void {
    for (const key of keys) {
      const pending = this.pending.get(key) ?? '';
      this.pending.set(key, pending > lsn ? pending : lsn);
    }
  }

  async retry(): Promise<void> {
    const entries = [...this.pending];
    if (entries.length === 0) return;
    try {
      await this.apply(entries);
      // Only what was applied: an invalidation deferred meanwhile with a later position stays pending.
      entries.forEach(([key, lsn]) => this.pending.get(key) === lsn && this.pending.delete(key));
      this.logger.log(`applied ${entries.length} deferred invalidation(s)`);
    } catch {
      // still unreachable: the next retry tries again
    }
  }
}
