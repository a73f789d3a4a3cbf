#!/bin/sh
# Sends every lookup to the stack's DNS server, as a user's machine configured with it would. Without this,
# Docker's embedded resolver (127.0.0.11) would answer api.example.test itself and the dns service would
# never be asked.
set -eu

printf 'nameserver %s\n' "${STACK_DNS_SERVER:?set STACK_DNS_SERVER to the dns service address}" > /etc/resolv.conf

exec "$@"
