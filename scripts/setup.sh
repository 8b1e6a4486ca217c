#!/usr/bin/env bash
# Installs what parascribe needs on a fresh Debian machine: ffmpeg, sox and pocketsphinx (+ its English
# model) from apt, Debian's chromium for the web UI's browser tests (driven by playwright-core; never a
# downloaded browser), then the npm dependencies (which also build dist/ and dist/ui through "prepare").
# Idempotent: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v pocketsphinx_continuous >/dev/null 2>&1 || need_apt+=(pocketsphinx)
[ -d /usr/share/pocketsphinx/model/en-us/en-us ] || need_apt+=(pocketsphinx-en-us)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# sox makes some of the hardening suite's bad-input media (test/hardening).
command -v sox >/dev/null 2>&1 || need_apt+=(sox)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} with apt-get" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: parascribe needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# Reinstall only when package.json or the lockfile changed since the last install (the install also
# runs the build). `npm install`, not `npm ci`: npm leaves other platforms' optional packages of
# @fugood/whisper.node out of the lockfile (npm/cli#4828), and `npm ci` then refuses the lockfile.
stamp=node_modules/.parascribe-install-stamp
fingerprint=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$fingerprint" ]; then
  echo "setup: npm install (compiles better-sqlite3; about two minutes on 2 cores)" >&2
  npm install --no-audit --no-fund --loglevel=error
  cat package.json package-lock.json | sha256sum | cut -d' ' -f1 > "$stamp"
else
  npm run --silent build
fi
