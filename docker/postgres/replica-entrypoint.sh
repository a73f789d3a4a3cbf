#!/usr/bin/env bash
# Entrypoint of a streaming replica. On first start it clones the primary with pg_basebackup through this
# replica's own physical slot (created by primary-init.sh); on later starts the data directory is left as it
# is. Then it hands over to the image's entrypoint, which runs postgres as the postgres user.
set -Eeuo pipefail

: "${PGDATA:?PGDATA must be set}"
: "${REPLICATION_SLOT:?REPLICATION_SLOT must name this replica slot on the primary, e.g. db_replica_1}"
: "${REPLICATION_PASSWORD:?REPLICATION_PASSWORD must be set}"
primary_host="${PRIMARY_HOST:-db-primary}"
replication_user="${REPLICATION_USER:-replicator}"

as_postgres() {
  if [ "$(id -u)" = 0 ]; then gosu postgres "$@"; else "$@"; fi
}

# postgres refuses a data directory that it does not own or that others can read.
own_directory() {
  mkdir -p "$1"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$1"; fi
  chmod 0700 "$1"
}

wait_for_primary() {
  until pg_isready --quiet --host "$primary_host" --username "$replication_user"; do
    echo "replica: waiting for $primary_host to accept connections" >&2
    sleep 1
  done
}

# Clones into a sibling directory and renames it into place only once complete: a clone interrupted half-way
# (PG_VERSION comes early in the copy) is then started afresh instead of being taken for a data directory.
clone_primary() {
  local partial="$PGDATA.partial"
  rm -rf "$partial"
  own_directory "$partial"
  (
    export PGPASSWORD="$REPLICATION_PASSWORD"
    # --write-recovery-conf: standby.signal, plus primary_conninfo and primary_slot_name in postgresql.auto.conf.
    as_postgres pg_basebackup --host "$primary_host" --username "$replication_user" --pgdata "$partial" \
      --write-recovery-conf --wal-method stream --checkpoint fast --slot "$REPLICATION_SLOT"
  )
  # An empty directory may be there already; rmdir refuses (and so stops us) if it holds anything.
  if [ -d "$PGDATA" ]; then rmdir "$PGDATA"; fi
  mv "$partial" "$PGDATA"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  wait_for_primary
  clone_primary
  echo "replica: cloned $primary_host into $PGDATA through slot $REPLICATION_SLOT" >&2
fi
own_directory "$PGDATA"

exec docker-entrypoint.sh "$@"
