#!/usr/bin/env bash
# Set up, then run the whole test suite (node's test runner; real ffmpeg, pocketsphinx, SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
