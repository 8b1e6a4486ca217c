#!/usr/bin/env bash
# Redis for distributed mode's tests (scripts/test.sh runs this; the embedded default needs none of it).
# The tests start their own private redis-server on a free port (test/helpers/redis.ts), so all they
# need is the binaries: `apt-get install redis-server` when redis-server or redis-cli is missing.
# Idempotent; leaves any running Redis exactly as it is.
set -euo pipefail
say() { echo "setup-redis: $*" >&2; }
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  say "redis-server $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p') is installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
say "installing redis-server with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null
command -v redis-server >/dev/null 2>&1 || { say "redis-server is still missing after apt-get"; exit 1; }
