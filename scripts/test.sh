#!/usr/bin/env bash
# Set up, then run the whole test suite (node's test runner; real ffmpeg, pocketsphinx, SQLite, and
# PostgreSQL and Redis for the PostgreSQL store driver's and distributed mode's tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Without PostgreSQL, its tests skip with a message, except under CI=true, where they fail: say why here.
bash scripts/setup-postgres.sh || echo "test: PostgreSQL is not available on 127.0.0.1:5432; its tests skip (or fail under CI=true)" >&2
# Distributed mode's tests start their own redis-server; without the binary they skip (fail under CI=true).
bash scripts/setup-redis.sh || echo "test: redis-server could not be installed; distributed-mode tests skip (or fail under CI=true)" >&2
# The alert rules' tests run promtool; without it they check the rules' YAML and metric names only (fail under CI=true).
bash scripts/setup-promtool.sh || echo "test: promtool could not be installed; promtool checks of the alert rules skip (or fail under CI=true)" >&2
npm test
