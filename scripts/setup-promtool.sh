#!/usr/bin/env bash
# promtool for the alert rules' tests (test/alert-rules.test.ts: `promtool check rules` and `promtool
# test rules` on deploy/prometheus/); scripts/test.sh runs this. Debian ships promtool in the
# `prometheus` package. Idempotent; installs nothing when promtool is there.
set -euo pipefail
say() { echo "setup-promtool: $*" >&2; }
if command -v promtool >/dev/null 2>&1; then
  say "$(promtool --version 2>&1 | head -1)"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
say "installing prometheus (for promtool) with apt-get"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v promtool >/dev/null 2>&1 || { say "promtool is still missing after apt-get"; exit 1; }
