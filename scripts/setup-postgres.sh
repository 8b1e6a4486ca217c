#!/usr/bin/env bash
# PostgreSQL for the tests of the PostgreSQL store driver (the default SQLite store needs none of this;
# scripts/test.sh runs it, scripts/demo.sh does not). Idempotent:
#   - something already answers on 127.0.0.1:5432: it is left exactly as it is;
#   - else: `apt-get install postgresql` if no server is installed, then start the Debian cluster on that
#     port (creating one if there is none), and, only for this server that we started, let user
#     `postgres` in from 127.0.0.1 without a password (one `trust` line at the top of its pg_hba.conf).
# Override the port with PARASCRIBE_PG_PORT (the tests read PARASCRIBE_TEST_POSTGRES_URL).
set -euo pipefail

HOST=127.0.0.1
PORT=${PARASCRIBE_PG_PORT:-5432}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
say() { echo "setup-postgres: $*" >&2; }

if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$HOST" -p "$PORT"; then
  say "PostgreSQL already accepts connections on $HOST:$PORT; leaving it as it is"
  exit 0
fi

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  say "installing postgresql with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

# The Debian cluster on $PORT; the newest installed version's "main" (or "parascribe") if none has it.
cluster_line=$(pg_lsclusters -h 2>/dev/null | awk -v port="$PORT" '$3 == port { print $1, $2; exit }')
if [ -n "$cluster_line" ]; then
  read -r version cluster <<<"$cluster_line"
else
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  cluster=main
  [ -d "/etc/postgresql/$version/main" ] && cluster=parascribe
  say "creating cluster $version/$cluster on port $PORT"
  $SUDO pg_createcluster "$version" "$cluster" --port "$PORT" >/dev/null
fi

say "starting cluster $version/$cluster"
$SUDO pg_ctlcluster "$version" "$cluster" start || true
for _ in $(seq 1 60); do
  pg_isready -q -h "$HOST" -p "$PORT" && break
  sleep 0.5
done
if ! pg_isready -q -h "$HOST" -p "$PORT"; then
  say "PostgreSQL did not come up on $HOST:$PORT (see /var/log/postgresql/postgresql-$version-$cluster.log)"
  exit 1
fi

# The tests connect as postgres over TCP with no password. Debian's default asks for one (scram-sha-256);
# allow exactly that user from exactly 127.0.0.1, on this server that we started only.
if ! psql "host=$HOST port=$PORT user=postgres dbname=postgres connect_timeout=5" -w -qtAc 'select 1' >/dev/null 2>&1; then
  hba="/etc/postgresql/$version/$cluster/pg_hba.conf"
  if ! $SUDO grep -q '# parascribe tests' "$hba"; then
    say "letting user postgres in from $HOST without a password ($hba)"
    $SUDO sed -i '1i host all postgres 127.0.0.1/32 trust  # parascribe tests' "$hba"
  fi
  $SUDO pg_ctlcluster "$version" "$cluster" reload
  sleep 1
  if ! psql "host=$HOST port=$PORT user=postgres dbname=postgres connect_timeout=5" -w -qtAc 'select 1' >/dev/null 2>&1; then
    say "user postgres still cannot connect to $HOST:$PORT without a password"
    exit 1
  fi
fi
say "PostgreSQL ready on $HOST:$PORT"
