#!/bin/sh
# Run once by Patroni on the node that initialises the cluster, with a superuser connection URL as $1.
# Creates the app's role and database (replicas get them by replication).
set -eu
psql "$1" -v ON_ERROR_STOP=1 \
  -v user="${APP_DB_USER:-app}" -v password="${APP_DB_PASSWORD:-app-dev-password}" -v db="${APP_DB_NAME:-app}" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
-- received_tli in pg_stat_wal_receiver: the app reads each replica's timeline.
GRANT pg_read_all_stats TO :"user";
CREATE DATABASE :"db" OWNER :"user";
SQL
