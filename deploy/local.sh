#!/usr/bin/env bash
# What docker-compose.yml does, without Docker: a PostgreSQL, the one-shot loader,
# the upload jobs' worker, then the app under gunicorn with the Dockerfile's settings;
# it waits until the app is healthy and ready, prints the URL, and stops everything on exit.
#   deploy/local.sh REPORTS_DIR [PORT] [--check]
# --check: query the API once and exit (what the tests run).
set -euo pipefail
cd "$(dirname "$0")/.."
reports=${1:?usage: deploy/local.sh REPORTS_DIR [PORT] [--check]}
port=${2:-8000}
check=${3:-}

url=$(bash .ci/postgres.sh 2>/dev/null)                       # the db service
folder=${url##*host=}
as=(); [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
cleanup() {
  [ -n "${app:-}" ] && kill "$app" 2>/dev/null && wait "$app" 2>/dev/null || true
  [ -n "${jobs:-}" ] && kill "$jobs" 2>/dev/null && wait "$jobs" 2>/dev/null || true
  "${as[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$folder/data" -m fast stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

DATABASE_URL=$url ogi load -q "$reports"                       # the loader service
DATABASE_URL=$url ogi jobs work &                               # the jobs service
jobs=$!
PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) DATABASE_URL=${url/postgresql:/postgresql+pool:} \
  OGI_BIND=127.0.0.1:$port OGI_WORKERS=2 OGI_JOBS_IN_PROCESS=0 \
  gunicorn -c python:api.gunicorn_conf 'api:create_app()' &   # the app service, as the Dockerfile runs it
app=$!

for _ in $(seq 1 100); do                                       # the healthcheck
  if python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/readyz', timeout=2)" 2>/dev/null; then
    echo "ready: http://127.0.0.1:$port/v1/"
    if [ "$check" = "--check" ]; then
      python -c "import json, urllib.request; print(json.load(urllib.request.urlopen('http://127.0.0.1:$port/v1/agencies'))['meta']['total'], 'agencies')"
      exit 0
    fi
    wait "$app"
    exit $?
  fi
  sleep 0.2
done
echo "the app did not become ready" >&2
exit 1
