#!/usr/bin/env bash
# Re-record the goshop scenario: start a private PostgreSQL, the TLS upstream,
# the OTLP receiver and the service, drive the load, stop everything and copy
# the artifacts next to this script. Idempotent; cleans up its processes and
# its temp dir (also on failure).
#   usage: bash record.sh            (as root; about 1 minute plus the first build)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export PGWORK=/tmp/hotpath-scen-goshop
export PGPORT=${PGPORT:-54330}
UPADDR=127.0.0.1:${UPPORT:-54351}
OTLPADDR=127.0.0.1:${OTLPPORT:-54352}
APPADDR=127.0.0.1:${APPPORT:-54353}
OUT=$PGWORK/out
BIN=$PGWORK/goshop
. "$HERE/../pg.sh"
pg_install

PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	pg_stop
	rm -rf "$PGWORK"
}
trap cleanup EXIT

wait_port() {
	for _ in $(seq 1 100); do
		(echo >/dev/tcp/127.0.0.1/"${1##*:}") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "port $1 never opened" >&2
	return 1
}

stop_pid() { # stop_pid PID: TERM it and wait for it
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# --- database
pg_start
mkdir -p "$OUT" "$PGWORK/scratch"
(cd "$HERE" && go build -o "$BIN" .)
pg_psql postgres -c "create role shop login" -c "create database shop owner shop"
psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U shop -d shop -f "$HERE/seed.sql" >/dev/null
LOGSTART=$(wc -c <"$PGWORK/postgres.log")

# --- services
"$BIN" upstream -addr "$UPADDR" >"$PGWORK/upstream.out" 2>&1 &
UP_PID=$!
PIDS+=("$UP_PID")
"$BIN" receiver -addr "$OTLPADDR" -out "$OUT/spans.otlp.jsonl" >"$PGWORK/receiver.out" 2>&1 &
RCV_PID=$!
PIDS+=("$RCV_PID")
wait_port "$UPADDR"
wait_port "$OTLPADDR"
"$BIN" serve -addr "$APPADDR" -dsn "postgres://shop@127.0.0.1:$PGPORT/shop?sslmode=disable" -upstream "https://$UPADDR" \
	-otlp "$OTLPADDR" -out "$OUT" -work "$PGWORK/scratch" -trace-seconds 2 >"$PGWORK/app.out" 2>&1 &
APP_PID=$!
PIDS+=("$APP_PID")
wait_port "$APPADDR"

# --- load
"$BIN" load -base "http://$APPADDR" -out "$OUT/load-summary.json" -c 8

# --- stop and collect
stop_pid "$APP_PID"
stop_pid "$RCV_PID"
stop_pid "$UP_PID"
PIDS=()
sleep 0.5
pg_stop
cat "$PGWORK/app.out" "$PGWORK/receiver.out"

cd "$HERE"
rm -f postgres.log* spans.otlp.jsonl* cpu.pprof block.pprof mutex.pprof exec.trace load-summary.*
tail -c +"$((LOGSTART + 1))" "$PGWORK/postgres.log" | gzip -9n >postgres.log.gz
gzip -9n <"$OUT/spans.otlp.jsonl" >spans.otlp.jsonl.gz
cp "$OUT/cpu.pprof" "$OUT/block.pprof" "$OUT/mutex.pprof" "$OUT/exec.trace" "$OUT/load-summary.json" "$OUT/load-summary.txt" .
ls -l "$HERE"
du -ch postgres.log.gz spans.otlp.jsonl.gz cpu.pprof block.pprof mutex.pprof exec.trace | tail -1
