#!/usr/bin/env bash
# A Prefect server on PostgreSQL for bench/rate_limit.py --prefect-api-url (Prefect's advice for concurrent workers:
# on SQLite, colliding writes are answered 503 after up to 2 s). Runs in the foreground; Ctrl-C stops both.
#   bash bench/prefect_server_pg.sh &   then   .venv/bin/python bench/rate_limit.py --prefect-api-url http://127.0.0.1:4299/api
cd "$(dirname "$0")/.."
source .ci/postgres.sh
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p 55432 -U lexflow prefect
export PREFECT_API_DATABASE_CONNECTION_URL="postgresql+asyncpg://lexflow@127.0.0.1:55432/prefect"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
.venv/bin/prefect server start --host 127.0.0.1 --port "${PREFECT_PORT:-4299}"
