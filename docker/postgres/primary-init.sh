#!/usr/bin/env bash
# Runs once, when the primary's data directory is created (the image runs /docker-entrypoint-initdb.d/ then).
# Creates the app's role and database, the replication role and one physical slot per replica, and lets the
# replication role connect over the network.
#
# No `set -u`: if this file loses its executable bit, the image sources it into its own entrypoint instead.
set -Eeo pipefail

app_user="${DB_USER:-app}"
app_database="${DB_NAME:-app}"
app_password="${DB_PASSWORD:-app-dev-password}"
replication_password="${REPLICATION_PASSWORD:-replicator-dev-password}"
replication_slots="${REPLICATION_SLOTS:-db_replica_1 db_replica_2}"

run_sql() {
  psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" "$@"
}

# psql variables (:'x' quotes a literal, :"x" an identifier), so no value is pasted into SQL unquoted.
run_sql -v app_user="$app_user" -v app_database="$app_database" -v app_password="$app_password" \
  -v replication_password="$replication_password" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"app_database" OWNER :"app_user";
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'replication_password';
SQL

# Created here rather than by each replica, so a replica's slot holds WAL from the moment the primary exists,
# and pg_basebackup --slot finds it ready.
for slot in $replication_slots; do
  run_sql -v slot="$slot" <<'SQL'
SELECT pg_create_physical_replication_slot(:'slot');
SQL
done

# "all" in pg_hba.conf does not match replication connections: they need a line of their own. Read when the
# server starts for real, after this script.
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
