#!/bin/sh
# Starts one Sentinel in compose (the native stack does the same in stack/native/services.ts): its own writable
# copy of stack/redis/sentinel.conf, made on the first start only (Sentinel keeps its state in it), with ${NAME}
# replaced by the Sentinel's service name.
set -eu
conf=/data/sentinel.conf
[ -f "$conf" ] || sed "s/\${NAME}/${NAME:?NAME is the Sentinel's service name}/g" /etc/redis-template/sentinel.conf > "$conf"
exec redis-server "$conf" --sentinel
