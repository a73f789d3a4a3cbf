#!/bin/sh
# The lb service's command (docker-compose.yml). Writes nginx/conf.d/api.conf, the site the native stack serves
# too (mounted at $SITE), less its upstream block, over the image's conf.d/default.conf (whose own server would
# also listen on port 80); the compose upstream block, which re-resolves the app servers' names, is mounted
# beside it (docker/lb/app-servers.conf). Then runs nginx as the image would.
set -eu

site="${SITE:-/etc/nginx/api.conf}"
out="${OUT:-/etc/nginx/conf.d/default.conf}"

# The block runs from its `upstream app_servers {` line to the first line that is a lone `}`.
sed '/^upstream app_servers {$/,/^}$/d' "$site" > "$out"

exec nginx -g 'daemon off;'
