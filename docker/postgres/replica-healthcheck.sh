#!/usr/bin/env bash
# Healthy only while this replica's own WAL receiver is streaming from the primary. pg_isready alone would
# keep calling healthy a standby that has lost the primary and serves ever staler reads.
set -Eeuo pipefail

status="$(psql --no-psqlrc --quiet --tuples-only --no-align --username "${POSTGRES_USER:-postgres}" \
  --dbname postgres --command 'select status from pg_stat_wal_receiver')"

if [ "$status" != streaming ]; then
  echo "wal receiver status: ${status:-none}" >&2
  exit 1
fi
