#!/usr/bin/env bash
# One command from a fresh machine to the running stack:  bash scripts/setup.sh   (or: npm run setup)
#   1. npm ci (Node 24 comes with it, as the `node` devDependency that every npm script runs on)
#   2. the Debian packages the native stack, its tests (chromium: the status page's browser test; prometheus) and the
#      benchmark (wrk) need, named before they are installed
#   3. npm run stack -- up, then demo data
# --install-only stops after step 2 (CI uses it before `npm test`).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

say "npm ci"
npm ci --no-audit --no-fund

# shellcheck disable=SC2046,SC2116  # echo joins the two lists on one line
missing=$(echo $(npx --no-install tsx stack/cli.ts missing-packages --tests) $(npx --no-install tsx bench/cli.ts missing-packages))
if [ -n "$missing" ]; then
  say "installing Debian packages the native stack, its tests and the benchmark need: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086  # the list is word-split on purpose
  apt-get install -y -qq --no-install-recommends $missing
else
  say "Debian packages: all present"
fi

[ "${1:-}" = "--install-only" ] && exit 0

say "starting the native stack"
npm run --silent stack -- up
npm run --silent stack -- seed
cat <<'TXT'

Try it, as a user would (resolving api.example.test through the stack's DNS, through nginx):
  npm run stack -- exec client curl -si 'http://api.example.test/api/articles?limit=1'
  npm run stack -- exec client curl -si http://api.example.test/api/profiles/ada
  npm run stack -- exec client curl -s  http://lb:9080/health/replication   (operators' port: metrics, docs, status)
Sign in as ada, grace or linus (password conduit-demo): README, "Talk to it as a user would".
Stop it with: npm run stack -- down
TXT
