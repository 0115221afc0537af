#!/bin/bash
# Speed of hotpath's SQL digest (parse + fingerprint + aggregate) against
# pgBadger (-j 1) and pt-query-digest on the same files, in one run, plus
# hotpath's peak RSS on a 1 GB log (the pgbench log concatenated).
#
#   HOTPATH_BENCH_DATA=DIR bench/sql.sh
#
# DIR holds the full-size real logs testdata/sql/cuts/README.md describes
# (pgbench-stderr.log.gz, sysbench-mariadb-slow.log.gz); without it the
# committed cuts of testdata/sql/cuts are measured (small: the figures are
# less steady).
#
# Installs pgbadger and percona-toolkit from Debian if missing. Files are
# unpacked into $BENCH (default /tmp/hotpath-bench) and removed at the end;
# nothing is written into the repository. The machine may be shared: every
# figure compares tools measured in this run, and CPU time (user+sys) is
# shown beside wall time because it is less sensitive to other load.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${HOTPATH_BENCH_DATA:-}
BENCH=${BENCH:-/tmp/hotpath-bench}
RUNS=${RUNS:-3}
PEER_RUNS=${PEER_RUNS:-2} # best of, for pgBadger and pt-query-digest
REPEAT=${REPEAT:-10} # hotpath digests each file this many times per run (timer resolution)
PG_LOG=$DATA/pgbench-stderr.log.gz SLOW_LOG=$DATA/sysbench-mariadb-slow.log.gz
if [ -z "$DATA" ]; then
	PG_LOG=$ROOT/testdata/sql/cuts/pgbench-2000-sessions.log.gz SLOW_LOG=$ROOT/testdata/sql/cuts/sysbench-slow-6000-entries.log.gz
fi
[ -f "$PG_LOG" ] && [ -f "$SLOW_LOG" ] || { echo "no $PG_LOG or $SLOW_LOG (HOTPATH_BENCH_DATA=$DATA)"; exit 1; }
if ! command -v pgbadger >/dev/null || ! command -v pt-query-digest >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbadger percona-toolkit >/dev/null
fi
mkdir -p "$BENCH"
trap 'rm -rf "$BENCH"' EXIT
zcat "$PG_LOG" >"$BENCH/pgbench-stderr.log"
zcat "$SLOW_LOG" >"$BENCH/slow.log"
(cd "$ROOT" && go build -o "$BENCH/sqldigest" ./bench/sqldigest && go build -o "$BENCH/hotpath" ./cmd/hotpath)

# measure RUNS DIV CMD… → best-of-RUNS wall and cpu seconds, divided by
# DIV (the command's own repeat count), into $WALL $CPU
measure() {
	local runs=$1 div=$2; shift 2
	WALL=; CPU=
	for _ in $(seq "$runs"); do
		/usr/bin/time -f "%e %U %S" -o "$BENCH/t" "$@" >/dev/null 2>"$BENCH/err" || { cat "$BENCH/err"; exit 1; }
		read -r w u s <"$BENCH/t"
		w=$(echo "scale=4; $w / $div" | bc -l)
		c=$(echo "scale=4; ($u + $s) / $div" | bc -l)
		if [ -z "$WALL" ] || (($(echo "$w < $WALL" | bc -l))); then WALL=$w; fi
		if [ -z "$CPU" ] || (($(echo "$c < $CPU" | bc -l))); then CPU=$c; fi
	done
}

mb() { echo "scale=1; $(stat -c %s "$1") / 1000000" | bc -l; }
rate() { echo "scale=1; $1 / $2" | bc -l; }
row() { printf "%-40s %8s %8s %9s %9s\n" "$@"; }

PG=$BENCH/pgbench-stderr.log
SLOW=$BENCH/slow.log
PGMB=$(mb "$PG")
SLOWMB=$(mb "$SLOW")
echo "inputs: pgbench-stderr.log $PGMB MB, sysbench slow log $SLOWMB MB (unpacked); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
row "run (best of $PEER_RUNS / hotpath $RUNS)" "wall s" "cpu s" "MB/s wall" "MB/s cpu"

measure "$PEER_RUNS" 1 pgbadger -j 1 -q -f stderr --prefix '%m [%p] %q%u@%d ' -x text -o "$BENCH/pgbadger.txt" "$PG"
BW=$WALL BC=$CPU
row "pgBadger -j 1, pgbench log" "$BW" "$BC" "$(rate "$PGMB" "$BW")" "$(rate "$PGMB" "$BC")"
measure "$RUNS" "$REPEAT" env GOMAXPROCS=1 "$BENCH/sqldigest" -repeat "$REPEAT" "$PG"
HW1=$WALL HC1=$CPU
row "hotpath GOMAXPROCS=1, pgbench log" "$HW1" "$HC1" "$(rate "$PGMB" "$HW1")" "$(rate "$PGMB" "$HC1")"
measure "$RUNS" "$REPEAT" "$BENCH/sqldigest" -repeat "$REPEAT" "$PG"
HWN=$WALL HCN=$CPU
row "hotpath all cores, pgbench log" "$HWN" "$HCN" "$(rate "$PGMB" "$HWN")" "$(rate "$PGMB" "$HCN")"
measure "$RUNS" 1 env GOMAXPROCS=1 "$BENCH/hotpath" report -format json "$PG"
row "hotpath report (1 pass, 1 core), pgbench" "$WALL" "$CPU" "$(rate "$PGMB" "$WALL")" "$(rate "$PGMB" "$CPU")"

measure "$PEER_RUNS" 1 pt-query-digest "$SLOW"
TW=$WALL TC=$CPU
row "pt-query-digest, slow log" "$TW" "$TC" "$(rate "$SLOWMB" "$TW")" "$(rate "$SLOWMB" "$TC")"
measure "$RUNS" "$REPEAT" env GOMAXPROCS=1 "$BENCH/sqldigest" -repeat "$REPEAT" "$SLOW"
SW1=$WALL SC1=$CPU
row "hotpath GOMAXPROCS=1, slow log" "$SW1" "$SC1" "$(rate "$SLOWMB" "$SW1")" "$(rate "$SLOWMB" "$SC1")"
measure "$RUNS" "$REPEAT" "$BENCH/sqldigest" -repeat "$REPEAT" "$SLOW"
SWN=$WALL SCN=$CPU
row "hotpath all cores, slow log" "$SWN" "$SCN" "$(rate "$SLOWMB" "$SWN")" "$(rate "$SLOWMB" "$SCN")"

echo
echo "speed-up, single core (wall / cpu):"
echo "  vs pgBadger -j 1:    $(rate "$BW" "$HW1")x / $(rate "$BC" "$HC1")x   (goal 100x)"
echo "  vs pt-query-digest:  $(rate "$TW" "$SW1")x / $(rate "$TC" "$SC1")x   (goal 100x)"
echo "speed-up, all cores (wall): vs pgBadger $(rate "$BW" "$HWN")x, vs pt-query-digest $(rate "$TW" "$SWN")x"

# What the peers counted, for the record.
echo
grep -E "^(Number of (unique normalized )?queries|Total number of sessions|Total query duration)" "$BENCH/pgbadger.txt" | sed 's/^/pgBadger: /' || true
pt-query-digest "$SLOW" 2>/dev/null | grep -E "^# Overall|^# Rank|^# +[0-9]+ 0x" | head -20 | sed 's/^/pt-query-digest: /' || true
echo
echo "hotpath (pgbench log):"; "$BENCH/sqldigest" -top 0 "$PG" | sed 's/^/  /'
echo "hotpath (slow log):";    "$BENCH/sqldigest" -top 0 "$SLOW" | sed 's/^/  /'

# Peak RSS on a 1 GB log.
rm -f "$SLOW"
BIG=$BENCH/pgbench-1g.log
: >"$BIG"
while [ "$(stat -c %s "$BIG")" -lt 1000000000 ]; do cat "$PG" >>"$BIG"; done
echo
for tool in sqldigest "hotpath report -format json"; do
	# shellcheck disable=SC2086
	/usr/bin/time -v "$BENCH"/$tool "$BIG" 2>"$BENCH/rss" >/dev/null
	echo "1 GB log ($(mb "$BIG") MB), $tool: peak RSS $(awk -F': ' '/Maximum resident/{printf "%.1f MB", $2/1024}' "$BENCH/rss"), wall $(awk -F': ' '/Elapsed/{print $2}' "$BENCH/rss") (limit 150 MB)"
done
