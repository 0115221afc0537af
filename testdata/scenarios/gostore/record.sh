#!/usr/bin/env bash
# Record the gostore scenario: a private PostgreSQL 15 (logging collector:
# stderr + csvlog + jsonlog of the same events), the carriers' TLS API, an
# OTLP/gRPC collector and the API; drive the load; stop everything; keep what
# the API, its database and its tracer wrote in artifacts/.
#
# The planted slow query must stay under hotpath's fixed 100 ms gate while
# dominating statement time, and its time under load depends on how busy the
# machine is: a recording whose mean is outside 75–99 ms is done again (at
# most 4 tries) with the payments table resized in proportion (start: 500,000
# rows); the try closest to 88 ms is kept.
#
# Idempotent; removes its processes and temp dir also on failure.
#   usage: bash record.sh      (as root; 1–2 minutes plus the first build)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export PGWORK=/tmp/hotpath-scen-gostore
export PGPORT=${PGPORT:-54351}
CARRIERS=127.0.0.1:${CARRIERS_PORT:-54352}
OTLP=127.0.0.1:${OTLP_PORT:-54353}
API=127.0.0.1:${API_PORT:-54354}
export PG_LOGGING_COLLECTOR=on
export PG_LOG_DESTINATION='stderr,csvlog,jsonlog'
export PG_LOG_LINE_PREFIX='%t [%p]: user=%u,db=%d,app=%a,client=%h '
# shared_buffers big enough to hold payments: a scan of a table larger than a
# quarter of it goes through a small ring buffer and its time stops scaling with the rows
export PG_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements'
max_parallel_workers_per_gather = 0
shared_buffers = 256MB"
BIN=$PGWORK/gostore
. "$HERE/../pg.sh"
pg_install
command -v go >/dev/null || { echo "record.sh: needs the go command" >&2; exit 1; }
command -v ss >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2

PIDS=()
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
stop_all() {
	for p in "${PIDS[@]}"; do stop "$p"; done
	PIDS=()
	pg_stop
}
cleanup() {
	stop_all
	rm -rf "$PGWORK"
}
trap cleanup EXIT

wait_port() { # wait_port PID HOST:PORT: until PID listens there (ss, not a connect: no self-connects)
	for _ in $(seq 1 600); do
		kill -0 "$1" 2>/dev/null || { echo "record.sh: process $1 exited before listening on $2" >&2; return 1; }
		[ -n "$(ss -Hltn "sport = :${2##*:}")" ] && return 0
		sleep 0.1
	done
	echo "record.sh: nothing listens on $2" >&2
	return 1
}
sizes() { for f in postgresql.log postgresql.csv postgresql.json; do wc -c <"$PG_LOG_DIRECTORY/$f"; done | tr '\n' ' '; }

# record_once ROWS TRY: one recording into $PGWORK/tryN/{run,pglog}; the slow
# query's mean (ms) into run/slow-mean, the logs' byte ranges into run/ranges
record_once() {
	stop_all
	RUN=$PGWORK/try$2/run
	export PG_LOG_DIRECTORY=$PGWORK/try$2/pglog
	rm -rf "$PGWORK/pgdata" "$PGWORK/try$2"
	mkdir -p "$RUN"
	chown postgres "$PGWORK" "$PGWORK/try$2" # the server creates its log directory in there
	pg_start
	pg_psql postgres -c "create role store login" -c "create database store owner store"
	pg_psql store -c "create extension pg_stat_statements"
	sleep 0.3
	local start end
	start=$(sizes)

	"$BIN" carriers -addr "$CARRIERS" -ca "$RUN/carriers-ca.pem" >"$RUN/carriers.out" 2>&1 &
	local carriers=$!
	PIDS+=($carriers)
	"$BIN" collector -addr "$OTLP" -out "$RUN/traces.otlp.jsonl" >"$RUN/collector.out" 2>&1 &
	local collector=$!
	PIDS+=($collector)
	wait_port "$carriers" "$CARRIERS"
	wait_port "$collector" "$OTLP"
	"$BIN" serve -addr "$API" -dsn "postgres://store@127.0.0.1:$PGPORT/store?sslmode=disable&application_name=gostore" \
		-carriers "https://$CARRIERS" -carriers-ca "$RUN/carriers-ca.pem" -otlp "$OTLP" -out "$RUN" -payments "$1" >"$RUN/api.out" 2>&1 &
	local api=$!
	PIDS+=($api)
	wait_port "$api" "$API" || { cat "$RUN/api.out" >&2; return 1; }

	"$BIN" load -base "http://$API" -out "$RUN/load-summary.json" -c 6 -rate 60 >"$RUN/load.out"

	stop "$api"
	stop "$collector"
	sleep 0.5
	end=$(sizes)
	echo "$start $end" >"$RUN/ranges"
	# the independent check: PostgreSQL's own statistics of the run (this
	# psql session is cut off the logs)
	pg_psql store -c "copy (select s.queryid, s.calls, round(s.total_exec_time::numeric, 3) total_ms, round(s.mean_exec_time::numeric, 3) mean_ms, s.rows, s.query
		from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = 'store' order by s.total_exec_time desc) to stdout with csv header" >"$RUN/pg_stat_statements.csv"
	pg_psql store -Atc "select round(mean_exec_time::numeric, 1) from pg_stat_statements where query like '%where merchant_ref = \$1%' order by calls desc limit 1" >"$RUN/slow-mean"
	stop_all
	cat "$RUN/api.out" "$RUN/collector.out" "$RUN/load.out" >&2
}

T0=$(date +%s)
(cd "$HERE" && go build -trimpath -o "$BIN" .)
rows=${PAYMENTS:-500000}
best=
bestd=1000000
for try in 1 2 3 4; do
	record_once "$rows" "$try"
	mean=$(cat "$RUN/slow-mean")
	[ -n "$mean" ] || { echo "record.sh: the slow query is not in pg_stat_statements" >&2; exit 1; }
	echo "try $try: $rows payments: slow query mean under load $mean ms" >&2
	d=$(awk -v m="$mean" 'BEGIN { d = m - 88; printf "%.1f", d < 0 ? -d : d }')
	if awk -v d="$d" -v b="$bestd" 'BEGIN { exit !(d < b) }'; then
		best=$try bestd=$d bestrows=$rows bestmean=$mean
	fi
	if awk -v m="$mean" 'BEGIN { exit !(m >= 75 && m <= 99) }'; then
		break
	fi
	rows=$(awk -v r="$rows" -v m="$mean" 'BEGIN { printf "%.0f", r * 88 / m }')
done

RUN=$PGWORK/try$best/run
LOGS=$PGWORK/try$best/pglog
read -r S_LOG S_CSV S_JSON E_LOG E_CSV E_JSON <"$RUN/ranges"
cut_log() { # cut_log FILE START END: bytes START..END of the log, gzipped
	tail -c +"$(($2 + 1))" "$LOGS/$1" | head -c "$(($3 - $2))" | gzip -9n >"$HERE/artifacts/$1.gz"
}
rm -rf "$HERE/artifacts" "$HERE/checks"
mkdir -p "$HERE/artifacts" "$HERE/checks"
cut_log postgresql.log "$S_LOG" "$E_LOG"
cut_log postgresql.csv "$S_CSV" "$E_CSV"
cut_log postgresql.json "$S_JSON" "$E_JSON"
gzip -9n <"$RUN/traces.otlp.jsonl" >"$HERE/artifacts/traces.otlp.jsonl.gz"
gzip -9n <"$RUN/exec.trace" >"$HERE/artifacts/exec.trace.gz"
cp "$RUN"/{cpu,block,mutex,goroutine}.pprof "$HERE/artifacts/"
cp "$RUN/load-summary.json" "$HERE/load-summary.json"
cp "$RUN/pg_stat_statements.csv" "$HERE/checks/pg_stat_statements.csv"
ls -l "$HERE/artifacts"
du -cb "$HERE"/artifacts/* | tail -1
echo "recorded in $(($(date +%s) - T0)) s (kept try $best: $bestrows payments, slow query mean $bestmean ms)"
