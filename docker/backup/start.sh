#!/usr/bin/env bash
# The backup service's entrypoint: pgBackRest's repository host (docs/backups.md). Containers share no sockets, so
# pgBackRest talks to the nodes through its TLS server: one runs here (the nodes' archive-push writes through it),
# one on every node (docker/patroni/entrypoint.sh; the backups read a standby's files through it).
# It runs as postgres (the image's USER), the repository's owner.
set -Eeuo pipefail

tls=/etc/pgbackrest/tls
stanza=nest-replica-starter
# Every host a pgBackRest connects to, by the name it uses: the certificate must name each one.
hosts=(backup db-primary db-replica-1 db-replica-2 db-restore localhost)

if [ ! -s "$tls/pgbackrest.crt" ]; then
  # A dev CA and one certificate that every pgBackRest of the stack presents, as a server and as a client, made on
  # the first start and kept in the backup-tls volume: no key is in the repository. tls-server-auth lets a client
  # whose certificate says CN=pgbackrest use the stanza.
  san="$(printf 'DNS:%s,' "${hosts[@]}")"
  openssl req -new -x509 -nodes -days 3650 -subj "/CN=$stanza-ca" -keyout "$tls/ca.key" -out "$tls/ca.crt" 2> /dev/null
  openssl req -new -nodes -subj /CN=pgbackrest -keyout "$tls/pgbackrest.key" -out "$tls/pgbackrest.csr" 2> /dev/null
  openssl x509 -req -days 3650 -in "$tls/pgbackrest.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "${san%,}") -out "$tls/pgbackrest.crt" 2> /dev/null
  rm -f "$tls/pgbackrest.csr" "$tls/ca.key" "$tls/ca.srl"
  chmod 0600 "$tls/pgbackrest.key"
fi

# The stanza, once the primary answers (it starts after this service is healthy); a no-op when it exists. Until then
# the primary's archive_command fails, and PostgreSQL keeps the WAL and tries again.
(until pgbackrest --stanza="$stanza" stanza-create; do sleep 3; done) &

exec pgbackrest server
