import { isCertificationConflict } from './galera-error';

/**
 * Counts what retryOnCertificationConflict did, for a caller to report (retries per second, transactions that gave
 * up). One instance may be shared by every transaction of a process.
 */
export class CertificationRetryCounters {
  /** Runs of a transaction after a certification conflict. */
  retries = 0;
  /** Transactions that committed after at least one conflict: the conflicts the caller never saw. */
  absorbed = 0;
  /** Transactions that still conflicted on their last attempt: the caller got the conflict. */
  exhausted = 0;
  private readonly since: number;

  constructor(private readonly now: () => number = Date.now) {
    this.since = now();
  }

  /** Retries per second since these counters were made. */
  retriesPerSecond(): number {
    const seconds = (this.now() - this.since) / 1000;
    return seconds > 0 ? this.retries / seconds : 0;
  }
}

export interface CertificationRetryOptions {
  /** How many times the transaction runs at most, the first run included. */
  attempts: number;
  /** The delay before the first retry is up to this; it doubles for each retry after (full jitter: a random part of it). */
  baseDelayMs: number;
  /** No delay is longer than this. */
  maxDelayMs?: number;
  counters?: CertificationRetryCounters;
  /** Which errors may run the transaction again: certification conflicts (isCertificationConflict) by default. */
  retryable?: (error: unknown) => boolean;
  /** [0, 1), Math.random by default: replaced in tests. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work`, a whole transaction (BEGIN … COMMIT on one connection), and runs it again when Galera refused it for a
 * certification conflict (1213 / SQLSTATE 40001, classifyGaleraError): by then Galera has rolled back all of it, so
 * only a re-run of all of it can succeed, never a re-run of the failed statement. Any other error is thrown at once.
 * After `attempts` runs the last conflict is thrown.
 *
 * The delay before each retry is random in [0, min(maxDelayMs, baseDelayMs · 2^(retry-1))): two writers that
 * conflicted on a hot row would conflict again if both retried after the same delay.
 */
export async function retryOnCertificationConflict<T>(work: (attempt: number) => Promise<T>, options: CertificationRetryOptions): Promise<T> {
  const { attempts, baseDelayMs, maxDelayMs = 1_000, counters, retryable = isCertificationConflict, random = Math.random, sleep = sleepFor } = options;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a positive integer, not ${attempts}`);
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await work(attempt);
      if (attempt > 1 && counters) counters.absorbed++;
      return result;
    } catch (error) {
      if (!retryable(error)) throw error;
      if (attempt >= attempts) {
        if (counters) counters.exhausted++;
        throw error;
      }
      if (counters) counters.retries++;
      await sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}
