#!/usr/bin/env bash
# Re-record the djshop scenario: install what is missing (Debian packages),
# start a private PostgreSQL that logs every statement to stderr, csvlog and
# jsonlog at once, migrate and bulk-load the shop, serve it with gunicorn
# (gthread), drive the load, stop everything, copy what the servers wrote to
# artifacts/ and recompute the ground truth. Idempotent; cleans up its
# processes and its temp dir, also on failure.
#   usage: bash record.sh            (as root; about a minute)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
export PGWORK=/tmp/hotpath-scen-djshop
export PGPORT=${PGPORT:-54361}
APPPORT=${APPPORT:-54362}
EVENTS=${EVENTS:-400000}
OUT=$PGWORK/out
ART=$HERE/artifacts
export PYTHONDONTWRITEBYTECODE=1 TZ=UTC
export PG_LOG_DESTINATION='stderr,csvlog,jsonlog'
export PG_LOG_LINE_PREFIX='%m [%p-%l] %q[%a] %u@%d '
export PG_LOG_FILENAME='postgresql.log'
# Europe/Berlin as the server's zone makes Django send SET TIME ZONE on every
# new connection (it wants UTC), as it does against many real servers.
export PG_EXTRA_CONF="timezone = 'Europe/Berlin'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = 'all'
compute_query_id = on
max_parallel_workers_per_gather = 0"
. "$HERE/../pg.sh"

# --- install
need=()
$PY -c 'import django, psycopg2, requests' 2>/dev/null || need+=(python3-django python3-psycopg2 python3-requests)
command -v gunicorn >/dev/null || need+=(gunicorn)
[ -x "$PGBIN/initdb" ] || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
	for i in 1 2 3 4 5 6; do # dpkg's lock may be held by someone else
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" && break
		sleep 10
	done
fi

APP_PID=
cleanup() {
	local rc=$?
	if [ $rc -ne 0 ]; then # say why before the temp dir goes
		tail -n 30 "$PGWORK/gunicorn.out" "$OUT/gunicorn.log" "$OUT/django.log" 2>/dev/null | cut -c1-300 >&2 || true
	fi
	if [ -n "$APP_PID" ]; then kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; fi
	pg_stop
	rm -rf "$PGWORK"
}
trap cleanup EXIT

wait_port() {
	for _ in $(seq 1 200); do
		(echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "port $1 never opened" >&2
	return 1
}

# The machine is shared: a recording made while it is overloaded measures the
# machine, not the service (the loop stalls for a second, scans take 3x as
# long). Wait, at most two minutes, for the 1-minute load average to drop
# below two per core.
wait_calm() {
	local limit=$(($(nproc) * 2))
	for _ in $(seq 1 24); do
		awk -v l="$limit" '{ exit !($1 < l) }' /proc/loadavg && return 0
		sleep 5
	done
	echo "machine still busy (load $(cut -d' ' -f1 /proc/loadavg)): recording anyway" >&2
}

# --- one recording: database, schema, data (all of it is in the logs: set-up
# before traffic), the service, the load
record_once() {
	pg_start
	mkdir -p "$OUT"
	rm -f "$OUT"/*
	chmod 755 "$PGWORK"
	pg_psql postgres -c "create role shop login" -c "create database shop owner shop"
	pg_psql shop -c "create extension pg_stat_statements"
	$PY manage.py migrate --no-input -v 0
	$PY manage.py seed --events "$1"
	gunicorn -c gunicorn.conf.py >"$PGWORK/gunicorn.out" 2>&1 &
	APP_PID=$!
	wait_port "$APPPORT"
	$PY load.py "http://127.0.0.1:$APPPORT" "$OUT/load-summary.json"
	kill -TERM "$APP_PID"
	wait "$APP_PID" || true
	APP_PID=
	sleep 1 # let the logging collector write the last disconnections
}

# mean server-side duration (ms) of the planted slow query in this recording
slow_mean() {
	grep -a 'customer_ref" = ' "$PGWORK/pglog/postgresql.log" | sed -n 's/.*duration: \([0-9.]*\) ms.*/\1/p' |
		awk '{s += $1; n++} END {printf "%.0f", n ? s / n : 0}'
}

T0=$(date +%s)
export DJSHOP_DB=shop DJSHOP_DB_USER=shop DJSHOP_DB_HOST=127.0.0.1 DJSHOP_DB_PORT=$PGPORT DJSHOP_LOG_DIR=$OUT
export DJSHOP_PORT=$APPPORT
cd "$HERE"
# The slow query must average just under 100 ms (hotpath's fixed gate) while
# holding most of the statement time. Its speed depends on how busy the
# machine is, so the events table is re-sized and the run repeated (at most
# four times) until the mean lands in 80-99 ms.
for attempt in 1 2 3 4; do
	wait_calm
	record_once "$EVENTS"
	mean=$(slow_mean)
	echo "attempt $attempt: $EVENTS events, slow query mean $mean ms"
	if [ "$mean" -ge 80 ] && [ "$mean" -le 99 ]; then break; fi
	[ "$attempt" = 4 ] && { echo "slow query mean $mean ms outside 80-99 ms: re-run when the machine is calmer" >&2; exit 1; }
	EVENTS=$((EVENTS * 92 / (mean > 0 ? mean : 1)))
done

# --- collect
rm -rf "$ART" && mkdir -p "$ART"
for f in postgresql.log postgresql.csv postgresql.json; do
	gzip -9n <"$PGWORK/pglog/$f" >"$ART/$f.gz"
done
gzip -9n <"$OUT/django.log" >"$ART/django.log.gz"
cp "$OUT/access.log" "$OUT/gunicorn.log" "$OUT/wall.txt" "$ART/"
# independent check for groundtruth.py (after the copy: not in the artifacts)
pg_psql shop --csv -c "select queryid, calls, round(total_exec_time::numeric, 3) as total_ms, round(mean_exec_time::numeric, 3) as mean_ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 300) as query from pg_stat_statements order by total_exec_time desc" >"$HERE/pg_stat_statements.csv"
pg_stop
cp "$OUT/load-summary.json" "$HERE/"
$PY groundtruth.py
du -ch "$ART"/* | tail -1
echo "recorded in $(($(date +%s) - T0)) s"
