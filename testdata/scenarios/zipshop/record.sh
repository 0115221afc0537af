#!/usr/bin/env bash
# Record the zipshop scenario: a private PostgreSQL 15 logging to stderr with
# log_statement=all + log_duration=on (statement and duration on separate
# lines), the pricing service, a Zipkin span collector and the GORM API; drive
# the load while taking a CPU profile from the API's pprof endpoint; stop
# everything; keep what the API, its database and its tracer wrote in
# artifacts/. Idempotent; removes its processes and temp dir also on failure.
#   usage: bash record.sh      (as root; about 1 minute plus the first build)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export PGWORK=/tmp/hotpath-scen-zipshop
export PGPORT=${PGPORT:-54355}
PRICING=127.0.0.1:${PRICING_PORT:-54356}
ZIPKIN=127.0.0.1:${ZIPKIN_PORT:-54357}
API=127.0.0.1:${API_PORT:-54358}
PPROF=127.0.0.1:${PPROF_PORT:-54359}
export PG_LOG_LINE_PREFIX='%m %c %l '
export PG_EXTRA_CONF="log_min_duration_statement = -1
log_statement = 'all'
log_duration = on"
RUN=$PGWORK/run
BIN=$PGWORK/zipshop
. "$HERE/../pg.sh"
pg_install
command -v go >/dev/null || { echo "record.sh: needs the go command" >&2; exit 1; }
command -v ss >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2
command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl

PIDS=()
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
cleanup() {
	for p in "${PIDS[@]}"; do stop "$p"; done
	pg_stop
	rm -rf "$PGWORK"
}
trap cleanup EXIT
pg_stop
rm -rf "$PGWORK"

wait_port() { # wait_port PID HOST:PORT: until PID listens there
	for _ in $(seq 1 900); do
		kill -0 "$1" 2>/dev/null || { echo "record.sh: process $1 exited before listening on $2" >&2; return 1; }
		[ -n "$(ss -Hltn "sport = :${2##*:}")" ] && return 0
		sleep 0.1
	done
	echo "record.sh: nothing listens on $2" >&2
	return 1
}

T0=$(date +%s)
pg_start
mkdir -p "$RUN"
(cd "$HERE" && go build -trimpath -o "$BIN" .)
pg_psql postgres -c "create role books login" -c "create database books owner books"
sleep 0.3
LOGSTART=$(wc -c <"$PGWORK/postgres.log")

"$BIN" pricing -addr "$PRICING" -cert "$RUN/pricing.pem" >"$RUN/pricing.out" 2>&1 &
PRICINGPID=$!
PIDS+=($PRICINGPID)
"$BIN" zipkin -addr "$ZIPKIN" -out "$RUN/zipkin-spans.jsonl" >"$RUN/zipkin.out" 2>&1 &
ZIPKINPID=$!
PIDS+=($ZIPKINPID)
wait_port "$PRICINGPID" "$PRICING"
wait_port "$ZIPKINPID" "$ZIPKIN"
"$BIN" api -addr "$API" -pprof "$PPROF" -pricing "https://$PRICING" -pricing-cert "$RUN/pricing.pem" -zipkin "http://$ZIPKIN/api/v2/spans" \
	-dsn "host=127.0.0.1 port=$PGPORT user=books dbname=books sslmode=disable application_name=zipshop" >"$RUN/api.out" 2>&1 &
APIPID=$!
PIDS+=($APIPID)
wait_port "$APIPID" "$API" || { cat "$RUN/api.out" >&2; exit 1; }

curl -sS -o "$RUN/cpu.pprof" "http://$PPROF/debug/pprof/profile?seconds=6" &
CURLPID=$!
"$BIN" load -base "http://$API" -out "$RUN/load-summary.json" -c 4
wait "$CURLPID"

stop "$APIPID"
stop "$ZIPKINPID"
stop "$PRICINGPID"
PIDS=()
sleep 0.3
pg_stop
cat "$RUN/api.out" "$RUN/zipkin.out"

rm -rf "$HERE/artifacts"
mkdir -p "$HERE/artifacts"
tail -c +"$((LOGSTART + 1))" "$PGWORK/postgres.log" | gzip -9n >"$HERE/artifacts/postgres.log.gz"
gzip -9n <"$RUN/zipkin-spans.jsonl" >"$HERE/artifacts/zipkin-spans.jsonl.gz"
cp "$RUN/cpu.pprof" "$HERE/artifacts/cpu.pprof"
cp "$RUN/load-summary.json" "$HERE/load-summary.json"
ls -l "$HERE/artifacts"
du -cb "$HERE"/artifacts/* | tail -1
echo "recorded in $(($(date +%s) - T0)) s"
