import type { DatabaseNode } from './database-node';

/**
 * What Patroni on a node says of it: `leader` (it holds the leader key, or with failsafe_mode and the DCS
 * down, every member still confirms it), `not-leader` (Patroni answered, and it does not lead), or
 * `unanswered` (no answer within the timeout: Patroni restarting, down, or absent, as on a copy started by hand).
 */
export type Leadership = 'leader' | 'not-leader' | 'unanswered';

/** Asks whom Patroni's REST API names the leader, when PostgreSQL alone cannot tell (a promoted copy of this cluster). */
export interface LeadershipSource {
  of(node: DatabaseNode): Promise<Leadership>;
}

/**
 * Patroni's REST API on each node (DB_PATRONI_API_PORT), at the node's own host: `GET /primary` answers 200
 * only on the leader (Patroni 3.0, api.py `do_GET`), and 503 on every other member. Any other status is not
 * Patroni's word on the matter (something else on the port, Patroni failing): counted as unanswered.
 * Asked by the topology monitor only, in the background, with the probes' timeout.
 */
export class PatroniLeadership implements LeadershipSource {
  constructor(
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  async of(node: DatabaseNode): Promise<Leadership> {
    try {
      const response = await fetch(`http://${node.endpoint.host}:${this.port}/primary`, { signal: AbortSignal.timeout(this.timeoutMs) });
      await response.body?.cancel();
      if (response.status === 200) return 'leader';
      return response.status === 503 ? 'not-leader' : 'unanswered';
    } catch {
      return 'unanswered';
    }
  }
}
