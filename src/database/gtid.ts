import type { Lsn } from './lsn';

/**
 * MariaDB's replication position: a GTID list (`0-11-57,1-2-3`), each entry a domain's last transaction as
 * domain-server-sequence. With one writer at a time per domain and gtid_strict_mode, a domain's sequence numbers
 * only grow, across failovers too (a promoted replica continues them under its own server_id). So the routing's
 * position on MariaDB is the sequence number of the topology's domain, a bigint like PostgreSQL's LSN: compared,
 * subtracted (transactions, not bytes) and carried in tokens the same way.
 */
export function sequenceInDomain(position: string | null | undefined, domain: number): Lsn | null {
  for (const gtid of (position ?? '').split(',')) {
    const [gtidDomain, , sequence] = gtid.trim().split('-');
    if (sequence !== undefined && Number(gtidDomain) === domain && /^\d+$/.test(sequence)) return BigInt(sequence);
  }
  return null;
}

