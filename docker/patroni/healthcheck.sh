#!/usr/bin/env bash
# Healthy while this node serves its current role: the leader, or a replica whose own WAL receiver streams from
# it. Every node runs the same check, since roles move on failover. Patroni's /replica alone would keep calling
# healthy a replica that has lost the leader and serves ever staler reads.
set -Eeuo pipefail

# 200 from Patroni's REST API. The image has no curl; Patroni's own python3 does the request, and fails on any
# other status.
patroni_answers_ok() {
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
    "http://127.0.0.1:8008/$1" 2> /dev/null
}

if patroni_answers_ok primary; then
  exit 0
fi

if ! patroni_answers_ok replica; then
  echo "patroni: neither the leader nor a running replica" >&2
  exit 1
fi

# Over the node's own Unix socket, which pg_hba.conf (in patroni.yml) trusts for local connections.
status="$(psql --no-psqlrc --quiet --tuples-only --no-align --host "${SOCKET_DIR:-/var/run/postgresql}" \
  --username postgres --dbname postgres --command 'select status from pg_stat_wal_receiver')"

if [ "$status" != streaming ]; then
  echo "wal receiver status: ${status:-none}" >&2
  exit 1
fi
