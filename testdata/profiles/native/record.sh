#!/usr/bin/env bash
# Records two profiles of burn.c, a small C program that spends its time in
# a checksum loop and in write(2) to /dev/null (so the kernel shows up):
#
#   gperftools.cpu      the legacy binary CPU profile that gperftools'
#                       libprofiler writes (ProfilerStart/ProfilerStop),
#                       the format `go tool pprof` still reads;
#   perf-kernel.folded  `perf record -g` stacks folded by perf's own
#                       stackcollapse script with --kernel, so kernel frames
#                       carry the "_[k]" annotation; the first line is a
#                       comment this script writes, as people annotate
#                       their folded files.
#
# Needs Debian's gcc, libgoogle-perftools-dev and linux-perf:
#   apt-get install -y gcc libgoogle-perftools-dev linux-perf
# Usage: testdata/profiles/native/record.sh   (from anywhere; writes next to itself)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

gcc -O1 -g -fno-omit-frame-pointer -DWITH_PROFILER -o burn-gperf "$here/burn.c" -lprofiler
CPUPROFILE_FREQUENCY=500 ./burn-gperf "$here/gperftools.cpu" 0.5

gcc -O1 -g -fno-omit-frame-pointer -o burn "$here/burn.c"
perf record -q -o perf.data -g -F 997 -- ./burn - 0.5
{
	echo "# perf record -g -F 997 ./burn; perf script report stackcollapse -- --kernel"
	perf script -i perf.data report stackcollapse -- --kernel 2>/dev/null
} > "$here/perf-kernel.folded"
echo "wrote $here/gperftools.cpu ($(stat -c %s "$here/gperftools.cpu") bytes) and $here/perf-kernel.folded ($(wc -l < "$here/perf-kernel.folded") lines)"
