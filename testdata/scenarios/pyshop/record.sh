#!/usr/bin/env bash
# Re-record the pyshop scenario: install what is missing (Debian packages),
# start a private PostgreSQL, the upstream and the service, drive the load,
# stop everything and copy the artifacts next to this script.
# Idempotent; cleans up its processes and its temp dir (also on failure).
#   usage: bash record.sh            (as root; about 1 minute)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
export PGWORK=/tmp/hotpath-scen-pyshop
export PGPORT=${PGPORT:-54329}
UPPORT=${UPPORT:-54341}
APPPORT=${APPPORT:-54342}
OUT=$PGWORK/out
. "$HERE/../pg.sh"

# --- install
need=()
$PY -c 'import sqlalchemy, aiohttp, psycopg2, requests, asyncpg' 2>/dev/null ||
	need+=(python3-sqlalchemy python3-aiohttp python3-psycopg2 python3-requests python3-asyncpg)
[ -x "$PGBIN/initdb" ] || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
	for i in 1 2 3 4 5 6; do # dpkg's lock may be held by someone else
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" && break
		sleep 10
	done
fi

APP_PID= UP_PID=
cleanup() {
	[ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
	[ -n "$UP_PID" ] && kill "$UP_PID" 2>/dev/null || true
	pg_stop
	rm -rf "$PGWORK"
}
trap cleanup EXIT

wait_port() {
	for _ in $(seq 1 100); do
		(echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "port $1 never opened" >&2
	return 1
}

# --- database
pg_start
mkdir -p "$OUT"
pg_psql postgres -c "create role shop login" -c "create database shop owner shop"
psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U shop -d shop -f "$HERE/seed.sql" >/dev/null
# the report template read (synchronously) by /report: 16 MiB
$PY -c 'import sys; open(sys.argv[1], "w").write(("line of the monthly report template " * 3 + "\n") * 152000)' "$PGWORK/report-template.txt"
# start the recorded part of the log here
LOGSTART=$(wc -c <"$PGWORK/postgres.log")

# --- services
$PY "$HERE/upstream.py" "$UPPORT" >"$PGWORK/upstream.out" 2>&1 &
UP_PID=$!
wait_port "$UPPORT"
(cd "$HERE" && exec $PY app.py --port "$APPPORT" --dsn "postgresql+asyncpg://shop@127.0.0.1:$PGPORT/shop" \
	--upstream "http://127.0.0.1:$UPPORT" --template "$PGWORK/report-template.txt" --out "$OUT") >"$PGWORK/app.out" 2>&1 &
APP_PID=$!
wait_port "$APPPORT"

# --- load
$PY "$HERE/load.py" "http://127.0.0.1:$APPPORT" "$OUT/load-summary.json" | tee "$OUT/load-summary.txt"

# --- stop and collect
kill -TERM "$APP_PID"
wait "$APP_PID" || true
APP_PID=
kill "$UP_PID" 2>/dev/null || true
wait "$UP_PID" 2>/dev/null || true
UP_PID=
sleep 0.5
pg_stop
cat "$PGWORK/app.out"

cd "$HERE"
rm -f postgres.log* sqlalchemy.log* asyncio.log* access.log* profile.folded* spans.otlp.jsonl* profile-meta.json load-summary.*
tail -c +"$((LOGSTART + 1))" "$PGWORK/postgres.log" | gzip -9n >postgres.log.gz
gzip -9n <"$OUT/sqlalchemy.log" >sqlalchemy.log.gz
gzip -9n <"$OUT/spans.otlp.jsonl" >spans.otlp.jsonl.gz
cp "$OUT/asyncio.log" "$OUT/access.log" "$OUT/profile.folded" "$OUT/profile-meta.json" \
	"$OUT/load-summary.json" "$OUT/load-summary.txt" .
ls -l "$HERE"
du -ch postgres.log.gz sqlalchemy.log.gz spans.otlp.jsonl.gz asyncio.log access.log profile.folded | tail -1
