#!/usr/bin/env bash
# Trace benchmarks (nothing here is committed output):
#  1. records a >= 50 MB Go execution trace into /tmp with
#     testdata/trace/gotracegen (mutex, channel, syscall, network blocking);
#  2. times hotpath's derivation of the four blocking profiles against
#     `go tool trace -pprof=net|sync|syscall|sched` on the same file,
#     interleaved in one run, and checks the totals agree (bench/tracebench);
#  3. measures OTLP JSON reading speed on one core (GOMAXPROCS=1).
# Usage: bench/trace.sh [MB]   (default 55)
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-55}
DIR=${HOTPATH_TRACE_BENCH_DIR:-/tmp/hotpath-trace-bench}
mkdir -p "$DIR"
TRACE="$DIR/big-${MB}mb.trace"
if [ ! -s "$TRACE" ]; then
	echo "recording a ${MB} MB Go trace into $TRACE ..."
	go run ./testdata/trace/gotracegen -o "$TRACE" -mb "$MB" -rounds 400 -workers 8 -sync 8
fi
go build -o "$DIR/tracebench" ./bench/tracebench
"$DIR/tracebench" -rounds "${ROUNDS:-3}" "$TRACE"
echo
echo "OTLP JSON reading, one core:"
GOMAXPROCS=1 go test ./parse/trace -run '^$' -bench "^BenchmarkOTLP(Pdata)?$" -benchtime 30x -cpu 1 -count 3 | grep Benchmark
echo
echo "Go trace derivation (Go benchmark on the big trace):"
HOTPATH_GOTRACE="$TRACE" go test ./parse/trace -run '^$' -bench '^BenchmarkDeriveGoTrace$' -benchtime 2x | grep Benchmark
