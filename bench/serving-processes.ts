import { namespacePids } from '../stack/native/netns';
import { namespaceOf, SERVICES } from '../stack/topology';

export type Role = 'app' | 'lb' | 'postgres' | 'redis';

const namespacesOf = (kinds: string[]) => SERVICES.filter((s) => kinds.includes(s.kind) && !s.optional).map((s) => namespaceOf(s.name));

/**
 * Every process that serves a request, by role: the variant's own HTTP servers, then every process in the
 * namespaces of nginx, the PostgreSQL nodes (postmaster, backends, WAL senders and receivers) and Redis.
 */
export function servingProcesses(variantPids: readonly number[]): Record<Role, number[]> {
  const inNamespaces = (kinds: string[]) => namespacesOf(kinds).flatMap(namespacePids);
  return {
    app: [...variantPids],
    lb: inNamespaces(['lb']),
    postgres: inNamespaces(['postgres-primary', 'postgres-replica']),
    redis: inNamespaces(['redis']),
  };
}
