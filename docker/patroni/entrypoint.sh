#!/usr/bin/env bash
# Entrypoint of a PostgreSQL node. Fills the shared Patroni template (stack/patroni/patroni.yml, mounted at
# /etc/patroni-template) with this node's variables from docker-compose.yml, then runs Patroni as the postgres
# user. Patroni initialises the cluster (the first node to reach etcd) or clones the leader, and starts PostgreSQL.
set -Eeuo pipefail

template=/etc/patroni-template/patroni.yml
config="${PATRONICTL_CONFIG_FILE:-/tmp/patroni.yml}"

: "${DATA_DIR:?DATA_DIR must name the data directory, e.g. /var/lib/postgresql/data/pgdata}"

if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses a data directory that it does not own or that others can read. DATA_DIR is a
  # subdirectory of the volume: Patroni removes and re-creates it when a node must be cloned afresh (after a
  # failed pg_rewind, say), which it cannot do to a mount point; so postgres owns the volume too.
  mkdir -p "$DATA_DIR"
  chown postgres:postgres "$(dirname "$DATA_DIR")" "$DATA_DIR"
  chmod 0700 "$DATA_DIR"
  exec gosu postgres bash "${BASH_SOURCE[0]}" "$@"
fi

# As in the native stack (stack/native/postgres.ts): what is written from here on stays private to postgres.
# The rendered configuration and Patroni's pgpass hold passwords, and PostgreSQL wants its directories 0700.
umask 0077

# libpq prefers PGPASSWORD to Patroni's pgpass file, so an inherited one would replace the replication
# password when a node clones the leader.
unset PGPASSWORD

# post-bootstrap.sh creates the app's role and database from APP_DB_*. They default to stack/app.env's DB_*
# (the service's env_file), the file the apps read, so the role and the apps' credentials cannot disagree.
export APP_DB_USER="${APP_DB_USER:-${DB_USER:?set DB_USER, e.g. through env_file stack/app.env}}"
export APP_DB_PASSWORD="${APP_DB_PASSWORD:-${DB_PASSWORD:?set DB_PASSWORD, e.g. through env_file stack/app.env}}"
export APP_DB_NAME="${APP_DB_NAME:-${DB_NAME:?set DB_NAME, e.g. through env_file stack/app.env}}"

# Exactly the template's own ${PLACEHOLDERS}, each of which must be set: a missing one stops the node here,
# by name, rather than leaving an empty value for Patroni to trip over later.
# shellcheck disable=SC2016 # the pattern matches a literal ${NAME}; nothing is to be expanded
placeholders="$(grep -o '\${[A-Z_][A-Z0-9_]*}' "$template" | sort -u)"
for placeholder in $placeholders; do
  name="${placeholder:2:-1}"
  if [ -z "${!name:-}" ]; then
    echo "patroni-entrypoint: $name is not set (used by $template)" >&2
    exit 1
  fi
done
envsubst "$placeholders" < "$template" > "$config"

# pgBackRest's TLS server (docker/patroni/pgbackrest.conf): the backup service reads this node's data files through
# it when the node is the standby a backup copies, and starts and stops backups through it when it is the primary.
pgbackrest server &

exec patroni "$config"
