#!/bin/bash
# The entrypoint of mariadb-galera-1, the first node of docker-compose.yml's `galera` profile: the official image's
# own entrypoint (docker-entrypoint.sh, which initialises an empty volume and runs /docker-entrypoint-initdb.d/), with
# --wsrep-new-cluster added when this node is the one to start the cluster. The image has no Galera bootstrap of its
# own (its entrypoint only turns wsrep off for the temporary server it initialises with).
#
# Bootstrapping a node that should have joined splits the cluster in two, each half taking writes, so this adds the
# flag in two cases only:
# - an empty volume (no mysql/ yet, the entrypoint's own test): a new cluster, whose first node this is;
# - grastate.dat says safe_to_bootstrap: 1. Galera writes it on the last node to leave a cluster that stopped
#   cleanly, the one with every write. `docker compose --profile galera down` (without -v) stops the joiners
#   first, as they depend on this node, so this node leaves last and starts the cluster again on the next `up`.
# A node killed, or one that left while others ran, has safe_to_bootstrap: 0: it joins the cluster its peers form.
# After a crash of every node, none does: docs/galera.md, "In compose", says how to start one by hand.

datadir=/var/lib/mysql
if [ ! -d "$datadir/mysql" ]; then
	echo "$0: empty volume: starting a new cluster" >&2
	set -- "$@" --wsrep-new-cluster
elif grep -Eq '^safe_to_bootstrap:[[:space:]]*1[[:space:]]*$' "$datadir/grastate.dat" 2> /dev/null; then
	echo "$0: this node left the cluster last (grastate.dat): starting the cluster again" >&2
	set -- "$@" --wsrep-new-cluster
fi
exec docker-entrypoint.sh "$@"
