import { existsSync } from 'node:fs';
import { PG_BIN } from './paths';

/** Debian packages the native stack needs; `up` names the missing ones instead of installing them. */
export const REQUIRED_PACKAGES: Record<string, string> = {
  [`${PG_BIN}/postgres`]: 'postgresql-15',
  '/usr/bin/redis-server': 'redis-server',
  '/usr/sbin/nginx': 'nginx-light',
  '/usr/sbin/dnsmasq': 'dnsmasq-base',
  '/usr/sbin/ip': 'iproute2',
  '/usr/bin/setpriv': 'util-linux',
  '/usr/bin/patroni': 'patroni',
  '/usr/bin/etcd': 'etcd-server',
  // The client's tools: `npm run stack -- exec client curl …`.
  '/usr/bin/curl': 'curl',
  // WAL archiving (every node's archive_command), backups and restores: docs/backups.md.
  '/usr/bin/pgbackrest': 'pgbackrest',
};

export function missingPackages(packages: Record<string, string> = REQUIRED_PACKAGES): string[] {
  return [...new Set(Object.entries(packages).filter(([file]) => !existsSync(file)).map(([, pkg]) => pkg))];
}
