#!/usr/bin/env bash
# Re-record the aioshop scenario: install what is missing (Debian packages),
# start a private PostgreSQL, the HTTPS upstream and the service under the
# otelwrap launcher (spans, loop profile), drive the load, stop everything,
# copy what the service and its database wrote to artifacts/ and recompute the
# ground truth. Idempotent; cleans up its processes and its temp dir, also on
# failure.
#   usage: bash record.sh            (as root; under a minute)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
export PGWORK=/tmp/hotpath-scen-aioshop
export PGPORT=${PGPORT:-54363}
APPPORT=${APPPORT:-54364}
UPPORT=${UPPORT:-54365}
OUT=$PGWORK/out
ART=$HERE/artifacts
export PYTHONDONTWRITEBYTECODE=1 TZ=UTC
# epoch timestamps and the session id instead of the pid
export PG_LOG_LINE_PREFIX='%n [%c:%l] %q%u@%d/%a '
export PG_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = 'all'"
. "$HERE/../pg.sh"

# --- install
need=()
$PY -c 'import sqlalchemy, aiohttp, asyncpg, requests, wrapt' 2>/dev/null ||
	need+=(python3-sqlalchemy python3-aiohttp python3-asyncpg python3-requests python3-wrapt)
command -v openssl >/dev/null || need+=(openssl)
[ -x "$PGBIN/initdb" ] || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
	for i in 1 2 3 4 5 6; do # dpkg's lock may be held by someone else
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" && break
		sleep 10
	done
fi

APP_PID= UP_PID=
cleanup() {
	local rc=$?
	if [ $rc -ne 0 ]; then # say why before the temp dir goes
		tail -n 40 "$PGWORK/app.out" "$OUT/app.log" 2>/dev/null | cut -c1-300 >&2 || true
	fi
	for p in $APP_PID $UP_PID; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
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

wait_calm
T0=$(date +%s)
pg_start
mkdir -p "$OUT"
pg_psql postgres -c "create role shop login" -c "create database shop owner shop"
pg_psql shop -c "create extension pg_stat_statements"

# --- the upstream: HTTPS on localhost with a throw-away certificate that the
# service trusts through the usual environment variables
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
	-keyout "$PGWORK/key.pem" -out "$PGWORK/cert.pem" 2>/dev/null
export SSL_CERT_FILE=$PGWORK/cert.pem REQUESTS_CA_BUNDLE=$PGWORK/cert.pem
$PY "$HERE/upstream.py" "$UPPORT" "$PGWORK/cert.pem" "$PGWORK/key.pem" >"$PGWORK/upstream.out" 2>&1 &
UP_PID=$!
wait_port "$UPPORT"

# --- the service, in asyncio debug mode, under the instrumentation launcher,
# installed the way it would be deployed: its two files in a directory of
# their own (the paths in tracebacks and profiles are the deployment's)
SRV=$PGWORK/srv/aioshop
mkdir -p "$SRV"
cp "$HERE/app.py" "$HERE/otelwrap.py" "$SRV/"
cd "$SRV"
PYTHONASYNCIODEBUG=1 $PY otelwrap.py --spans "$OUT/traces.jsonl" --profile "$OUT/wall.folded" -- \
	app.py --port "$APPPORT" --dsn "postgresql+asyncpg://shop@127.0.0.1:$PGPORT/shop" \
	--upstream "https://localhost:$UPPORT" --log "$OUT/app.log" >"$PGWORK/app.out" 2>&1 &
APP_PID=$!
wait_port "$APPPORT"
$PY "$HERE/load.py" "http://127.0.0.1:$APPPORT" "$OUT/load-summary.json"

# --- stop, collect
kill -TERM "$APP_PID"
wait "$APP_PID" || { cat "$PGWORK/app.out"; exit 1; }
APP_PID=
kill "$UP_PID" 2>/dev/null || true
wait "$UP_PID" 2>/dev/null || true
UP_PID=
sleep 0.5
rm -rf "$ART" && mkdir -p "$ART"
gzip -9n <"$PGWORK/postgres.log" >"$ART/postgres.log.gz"
gzip -9n <"$OUT/app.log" >"$ART/app.log.gz"
gzip -9n <"$OUT/traces.jsonl" >"$ART/traces.jsonl.gz"
cp "$OUT/wall.folded" "$ART/"
# independent check for groundtruth.py (after the copy: not in the artifacts)
pg_psql shop --csv -c "select queryid, calls, round(total_exec_time::numeric, 3) as total_ms, round(mean_exec_time::numeric, 3) as mean_ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 300) as query from pg_stat_statements order by total_exec_time desc" >"$HERE/pg_stat_statements.csv"
pg_stop
cd "$HERE"
cp "$OUT/load-summary.json" "$HERE/"
$PY groundtruth.py
du -ch "$ART"/* | tail -1
echo "recorded in $(($(date +%s) - T0)) s"
