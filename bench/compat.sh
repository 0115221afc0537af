#!/bin/bash
# Compatibility of hotpath with the inputs its peers are tested on.
#
#   bench/compat.sh [DIR...]    # default: $HOTPATH_PEER_FIXTURES or ../shared/peer-fixtures
#
# Runs `hotpath report -format json` (a binary built from this tree) over
# every file of DIR and of $(go env GOROOT)/src/internal/trace/testdata,
# plus execution traces recorded with that folder's own test programs,
# each with a timeout (TIMEOUT seconds, default 60). It classifies each run
# (accepted, a clear error naming the file, a panic, a hang) and compares
# the main numbers with the peer on the same file:
#
#   PostgreSQL logs        pgbadger -x json (statements, total duration,
#                          connections, sessions)
#   MySQL slow logs        pt-query-digest --output json (statements, total
#                          Query_time, distinct fingerprints)
#   MySQL general logs     pt-query-digest --type genlog (statements, fingerprints)
#   pprof                  go tool pprof -raw (samples, total of the sample type shown)
#   Go execution traces    go tool trace -pprof=net|sync|syscall|sched vs the
#                          profiles hotpath derives (-pprof-out), totals via pprof -raw
#   Jaeger/Zipkin/OTLP     spans and traces counted in the file (python)
#   folded stacks          sum of counts and the largest self time (python)
#   speedscope             sum of weights / open-frame time (python)
#   Chrome trace events    X and B events (a B without its E ends with the trace)
#
# and prints a table: files, accepted, clear errors, panics, hangs, agree,
# disagree (listed by name), justified (hotpath reads the file better, as
# the README explains), unchecked (no peer for the file). Missing
# peers are installed from Debian (pgbadger, percona-toolkit, jq). It is a
# bench script, not part of `go test`: the project never reads the
# fixtures. Scratch files go to $WORK (default /tmp/hotpath-compat) and are
# removed at the end; the per-file results stay in $WORK.tsv. HOTPATH=BIN
# uses that binary instead of building this tree (to compare two builds).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -eq 0 ]; then
	for d in "${HOTPATH_PEER_FIXTURES:-}" "$ROOT/../shared/peer-fixtures" "$ROOT/../../shared/peer-fixtures"; do
		if [ -n "$d" ] && [ -d "$d" ]; then set -- "$(cd "$d" && pwd)"; break; fi
	done
	[ $# -gt 0 ] || { echo "compat.sh: no peer fixtures found; give a folder or set HOTPATH_PEER_FIXTURES" >&2; exit 1; }
fi
for d in "$@"; do [ -e "$d" ] || { echo "compat.sh: $d does not exist" >&2; exit 1; }; done
WORK=${WORK:-/tmp/hotpath-compat}
TIMEOUT=${TIMEOUT:-60}
TRACEDATA=$(go env GOROOT)/src/internal/trace/testdata

missing=()
command -v pgbadger >/dev/null || missing+=(pgbadger)
command -v pt-query-digest >/dev/null || missing+=(percona-toolkit)
command -v jq >/dev/null || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
		echo "compat.sh: could not install ${missing[*]}; files of those peers are left unchecked" >&2
fi

rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
BIN=${HOTPATH:-$WORK/hotpath}
[ -n "${HOTPATH:-}" ] || (cd "$ROOT" && go build -o "$WORK/hotpath" ./cmd/hotpath)
/usr/bin/python3 "$ROOT/bench/compat.py" --hotpath "$BIN" --work "$WORK" \
	--timeout "$TIMEOUT" --go-trace-testdata "$TRACEDATA" --tsv "$WORK.tsv" "$@"
