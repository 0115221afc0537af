#!/usr/bin/env bash
# Compares loading a large profile and computing its hotspots with hotpath
# against `go tool pprof -top` on the same file, in one run.
#
#   bench/pprof.sh [runs]
#
# Records a real heap profile with ~3M distinct stacks (bench/bigprofile),
# writes it gzipped (as the runtime does, ~9 MB) and raw (~78 MB), then
# times each tool on each file, interleaved, and prints CPU seconds
# (user+sys), wall seconds and peak RSS. Needs GNU time (/usr/bin/time;
# apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
out=bench/out
mkdir -p "$out"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }

gz=$out/big.pprof
raw=$out/big-raw.pprof
if [ ! -s "$raw" ]; then
  go run ./bench/bigprofile -out "$gz" -depth 5
  gzip -dc "$gz" > "$raw"
fi
go build -o "$out/hotpath" ./cmd/hotpath
go tool pprof -h >/dev/null 2>&1 || true # build the pprof tool once, outside the timings

measure() { # label cmd...
  local label=$1; shift
  /usr/bin/time -f "$label %U %S %e %M" -o "$out/t.txt" "$@" >/dev/null 2>&1
  cat "$out/t.txt"
}

printf '%-28s %8s %8s %10s\n' "tool / file" "cpu s" "wall s" "peak MB"
for f in "$raw" "$gz"; do
  sz=$(stat -c %s "$f")
  for i in $(seq "$runs"); do
    measure "pprof" go tool pprof -top -nodecount=20 "$f"
    measure "hotpath" "$out/hotpath" report -nodecount 20 "$f"
  done | awk -v file="$(basename "$f") ($((sz/1048576)) MB)" '
    { cpu[$1]+=$2+$3; wall[$1]+=$4; if ($5>rss[$1]) rss[$1]=$5; n[$1]++ }
    END {
      for (t in n) printf "%-28s %8.2f %8.2f %10.0f\n", t " " file, cpu[t]/n[t], wall[t]/n[t], rss[t]/1024
      printf "%-28s %8.2fx %7.2fx\n", "  pprof/hotpath ratio", cpu["pprof"]/cpu["hotpath"], wall["pprof"]/wall["hotpath"]
    }'
done
