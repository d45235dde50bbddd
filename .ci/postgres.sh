#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 server (Debian's package) for the test suite and
# print its URL on stdout. Its data and socket live in a new temporary folder; it
# listens on no TCP port. Stop it with: pg_ctl -D "$folder/data" stop
#   export OGI_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)
set -euo pipefail

pg_bin=/usr/lib/postgresql/15/bin
if [ ! -x "$pg_bin/postgres" ]; then
  echo "installing postgresql-15 from Debian's packages" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >&2
fi

folder=$(mktemp -d /tmp/ogi-pg.XXXXXX)
as_postgres=()
if [ "$(id -u)" = 0 ]; then  # the server refuses to run as root
  chown postgres: "$folder"
  as_postgres=(runuser -u postgres --)
fi
"${as_postgres[@]}" "$pg_bin/initdb" -D "$folder/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >&2
"${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w \
  -o "-c listen_addresses='' -k $folder -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >&2
"$pg_bin/createdb" -h "$folder" -U postgres ogi_test
echo "postgresql://postgres@/ogi_test?host=$folder"
