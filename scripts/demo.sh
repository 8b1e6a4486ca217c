#!/usr/bin/env bash
# Set up, then transcribe the bundled sample on the embedded default (pocketsphinx, SQLite, local pool).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p samples/out
node bin/parascribe.js transcribe samples/gpl-preamble.mp3 --segment-sec 60 -o samples/out/gpl-preamble.txt "$@"
echo "--- samples/out/gpl-preamble.txt (first lines) ---"
head -c 600 samples/out/gpl-preamble.txt
echo
