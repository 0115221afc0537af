#!/usr/bin/env bash
# Re-record the application logs: one small service (workload.py: aiohttp,
# uvicorn, SQLAlchemy on asyncpg and psycopg2, a gunicorn + Django
# subprocess) logged through each layout of workload.py into one file each,
# against a private PostgreSQL. Writes LAYOUT.log.gz and LAYOUT.truth.json
# (the ground truth, counted from the LogRecords) next to this script.
# Installs what is missing (Debian packages); cleans up its processes and
# its temp dir, also on failure.
#   usage: bash testdata/applog/record.sh     (as root; about a minute)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
export PGWORK=/tmp/hotpath-applog
export PGPORT=${PGPORT:-54383}
. "$HERE/../scenarios/pg.sh"

need=()
$PY -c 'import sqlalchemy, django, aiohttp, psycopg2, asyncpg, uvicorn, gunicorn, greenlet, structlog, pythonjsonlogger' 2>/dev/null ||
	need+=(python3-sqlalchemy python3-django python3-aiohttp python3-psycopg2 python3-asyncpg uvicorn gunicorn
		python3-greenlet python3-structlog python3-pythonjsonlogger)
[ -x "$PGBIN/initdb" ] || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
	for i in 1 2 3 4 5 6; do # dpkg's lock may be held by someone else
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" && break
		sleep 10
	done
fi

cleanup() {
	pg_stop
	rm -rf "$PGWORK"
}
trap cleanup EXIT

pg_start
pg_psql postgres -c "create database shop"
pg_psql shop <<'SQL'
create table customers (id int primary key, name text);
create table orders (id int primary key, customer_id int references customers, total int);
create table items (id serial primary key, order_id int references orders, sku text, qty int);
create table stock (sku text primary key, qty int);
insert into customers select i, 'customer ' || i from generate_series(1, 3) i;
insert into orders select i, 1 + i % 2, i * 10 from generate_series(1, 8) i;
insert into items (order_id, sku, qty) select 1 + i % 8, 'A' || (i % 3), i from generate_series(1, 20) i;
insert into stock values ('A0', 5), ('A1', 6), ('A2', 7), ('B', 0);
SQL
APPLOG_PGPORT=$PGPORT $PY "$HERE/djangoapp.py" setup

for layout in $($PY "$HERE/workload.py" --list); do
	out=$PGWORK/$layout.log
	rm -f "$out"
	(cd "$HERE" && $PY workload.py "$layout" "$out" "$PGWORK/$layout.truth.json" "$PGPORT")
	gzip -9n <"$out" >"$HERE/$layout.log.gz"
	cp "$PGWORK/$layout.truth.json" "$HERE/"
	echo "$layout: $(wc -l <"$out") lines, $(wc -c <"$HERE/$layout.log.gz") bytes gzipped"
done
chmod 644 "$HERE"/*.log.gz "$HERE"/*.truth.json
