# Sourced by .ci/run: install (if missing) and start a throwaway PostgreSQL on 127.0.0.1:55432, export its URL.
# Tests marked `postgres` use LEXFLOW_TEST_POSTGRES_URL; without it they are skipped locally, never in CI.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
pg_dir=$(mktemp -d /tmp/lexflow-pg.XXXXXX)
chown postgres "$pg_dir" 2>/dev/null || true
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U lexflow --auth=trust >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -o "-p 55432 -k $pg_dir -c listen_addresses=127.0.0.1" -l "$pg_dir/log" -w start >/dev/null
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p 55432 -U lexflow lexflow_test
export LEXFLOW_TEST_POSTGRES_URL="postgresql+psycopg://lexflow@127.0.0.1:55432/lexflow_test"
trap 'as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true' EXIT
echo "PostgreSQL for tests: $LEXFLOW_TEST_POSTGRES_URL"
