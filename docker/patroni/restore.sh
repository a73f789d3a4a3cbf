#!/usr/bin/env bash
# db-restore's entrypoint (the `restore` profile): the newest backup before RESTORE_TARGET, from the backup service,
# replayed to that time, then PostgreSQL alone on it: no Patroni, no member of the cluster, not in db-replicas
# (docs/backups.md). The native stack's `npm run stack -- restore --to <time>` does the same (stack/native/backups.ts).
set -Eeuo pipefail

: "${RESTORE_TARGET:?set RESTORE_TARGET to a time PostgreSQL reads as a timestamptz, e.g. 2026-12-01 00:31:24+00}"
data=/var/lib/postgresql/data/pgdata

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$data"
  chown postgres:postgres "$(dirname "$data")" "$data"
  chmod 0700 "$data"
  exec gosu postgres bash "${BASH_SOURCE[0]}" "$@"
fi
umask 0077

# Restored already, to this target: a restart keeps the data. Another target restores afresh: `up` with a new
# RESTORE_TARGET recreates the container, and Compose hands the new one the old one's anonymous volume.
marker="$(dirname "$data")/restored-to"
if [ ! -s "$data/PG_VERSION" ] || [ "$(cat "$marker" 2> /dev/null)" != "$RESTORE_TARGET" ]; then
  rm -rf "$data" "$marker"
  mkdir -m 0700 "$data"
  # archive_mode off: this server's own timeline must never reach the cluster's archive.
  pgbackrest --stanza=nest-replica-starter --pg1-path="$data" restore \
    --type=time --target="$RESTORE_TARGET" --target-action=promote --archive-mode=off
  printf '%s' "$RESTORE_TARGET" > "$marker"
fi

# The restored postgresql.conf is a cluster node's (Patroni's): its name, primary_conninfo and slot. Overridden here,
# so that the server is only itself; it promotes itself once recovery reaches the target.
exec postgres -D "$data" \
  -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql \
  -c hba_file="$data/pg_hba.conf" -c ident_file="$data/pg_ident.conf" \
  -c node.name=db-restore -c cluster_name=db-restore -c archive_mode=off \
  -c primary_conninfo= -c primary_slot_name= -c recovery_min_apply_delay=0
