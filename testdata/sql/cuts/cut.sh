#!/bin/bash
# Cuts of three real query logs too large to commit, and the peers' verdicts
# on the cuts. Run from anywhere, with the directory that holds the original
# logs (the files are described in README.md beside this script):
#
#   apt-get install -y pgbadger percona-toolkit jq
#   testdata/sql/cuts/cut.sh DIR
#
# DIR holds pgbench-stderr.log.gz, sysbench-mariadb-slow.log.gz and
# sysbench-mariadb-general.log.gz. Writes, next to this script:
#   pgbench-2000-sessions.log.gz   every line of the first 2000 sessions
#                                  (backends, by pid from "connection
#                                  received" to "disconnection"), and the
#                                  server's own lines while one of them is open
#   sysbench-slow-6000-entries.log.gz
#                                  the server header and the first 6000 whole
#                                  entries shorter than 2000 bytes (the log
#                                  opens with MBs of sysbench's bulk INSERTs)
#   sysbench-general-10000-lines.log.gz
#                                  the first 10000 lines shorter than 2000 bytes
#   verdicts.json                  grep's counts and pgBadger's or
#                                  pt-query-digest's numbers on each cut
# and, one directory up, the older 2000-line cuts the other tests read
# (pgbench-stderr-cut.log.gz, sysbench-slow-cut.log.gz,
# sysbench-general-cut.log.gz).
#
# Nothing is edited: lines are kept or dropped whole. The tests check hotpath
# against verdicts.json, never against hotpath's own output.
set -euo pipefail
SRC=${1:?usage: cut.sh DIR (the directory of the original logs)}
OUT=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/hotpath-cuts.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
for f in pgbench-stderr.log.gz sysbench-mariadb-slow.log.gz sysbench-mariadb-general.log.gz; do
	[ -f "$SRC/$f" ] || { echo "cut.sh: no $SRC/$f" >&2; exit 1; }
done

# ------------------------------------------------------------------ cuts
# (zcat may stop on SIGPIPE when a cut ends early: "|| true".)
PG=pgbench-2000-sessions.log
SLOW=sysbench-slow-6000-entries.log
GEN=sysbench-general-10000-lines.log

# A line belongs to the pid in its '%m [%p] ' prefix; a line without the
# prefix (a statement's continuation) to the line before it.
zcat "$SRC/pgbench-stderr.log.gz" | awk -v N=2000 '
	function anyopen(p) { for (p in open) return 1; return 0 }
	match($0, /^[0-9-]+ [0-9:.]+ [A-Z]+ \[[0-9]+\] /) {
		pid = substr($0, 1, RLENGTH); sub(/^.*\[/, "", pid); sub(/\] $/, "", pid)
		if (index($0, " LOG:  connection received: ")) {
			if (++sessions <= N) open[pid] = 1; else { late[pid] = 1; full = 1 }
		}
		if (pid in open) { keep = 1; if (index($0, " LOG:  disconnection: ")) delete open[pid] }
		else if (pid in late) { keep = 0; if (index($0, " LOG:  disconnection: ")) delete late[pid] }
		else keep = !full || anyopen() # the server itself: postmaster, checkpointer …
	}
	keep' >"$WORK/$PG"

# An entry starts at "# Time:", or at "# User@Host:" when no "# Time:" line
# comes right before it.
{ zcat "$SRC/sysbench-mariadb-slow.log.gz" || true; } | awk -v N=6000 '
	function flush() { if (blk != "" && length(blk) < 2000) { printf "%s", blk; if (++n >= N) exit }; blk = "" }
	NR <= 3 { print; next }
	/^# Time: / || (/^# User@Host: / && prev !~ /^# Time: /) { flush() }
	{ blk = blk $0 "\n"; prev = $0 }' >"$WORK/$SLOW"

{ zcat "$SRC/sysbench-mariadb-general.log.gz" | awk 'length($0) < 2000' || true; } | head -10000 >"$WORK/$GEN"

# The older cuts, as testdata/sql/gen.sh wrote them before.
{ zcat "$SRC/pgbench-stderr.log.gz" || true; } | head -2000 | gzip -9n >"$OUT/../pgbench-stderr-cut.log.gz"
{ zcat "$SRC/sysbench-mariadb-slow.log.gz" || true; } | awk 'NR<=3{print;next}
	/^# User@Host:/{ if (blk!="" && length(blk)<2000) {printf "%s", blk; n+=lines}; blk=""; lines=0; if (n>2000) exit }
	{blk=blk $0 "\n"; lines++}' | gzip -9n >"$OUT/../sysbench-slow-cut.log.gz"
{ zcat "$SRC/sysbench-mariadb-general.log.gz" | awk 'length($0)<2000' || true; } | head -2000 | gzip -9n >"$OUT/../sysbench-general-cut.log.gz"

# --------------------------------------------------------------- verdicts
# grep/awk counts of each cut, then the peer's own numbers.
count() { grep -c -- "$1" "$2" || true; }

pgbadger -q -j 1 -x json -o "$WORK/pgb.json" -p '%m [%p] %q%u@%d ' "$WORK/$PG" >/dev/null
pt-query-digest --no-version-check --type slowlog --output json --limit 100% "$WORK/$SLOW" >"$WORK/pt-slow.json"
pt-query-digest --no-version-check --type genlog --output json --limit 100% "$WORK/$GEN" >"$WORK/pt-gen.json"

jq -n --slurpfile pgb "$WORK/pgb.json" --slurpfile slow "$WORK/pt-slow.json" --slurpfile gen "$WORK/pt-gen.json" \
	--arg pgBytes "$(wc -c <"$WORK/$PG")" \
	--arg pgDuration "$(count ' LOG:  duration: ' "$WORK/$PG")" \
	--arg pgReceived "$(count ' LOG:  connection received: ' "$WORK/$PG")" \
	--arg pgAuthorized "$(count ' LOG:  connection authorized: ' "$WORK/$PG")" \
	--arg pgDisconnection "$(count ' LOG:  disconnection: ' "$WORK/$PG")" \
	--arg slowBytes "$(wc -c <"$WORK/$SLOW")" \
	--arg slowEntries "$(count '^# Query_time: ' "$WORK/$SLOW")" \
	--arg genBytes "$(wc -c <"$WORK/$GEN")" \
	--argjson genCommands "$(for c in Connect Query Prepare Execute 'Close stmt' Quit; do
		printf '{"%s": %d}\n' "$c" "$(grep -cP "^(\\d{6} [ \\d]\\d:\\d\\d:\\d\\d)?\\t+ *\\d+ $c\\t" "$WORK/$GEN" || true)"
	done | jq -s add)" '
	($pgb[0]) as $b | ($slow[0]) as $s | ($gen[0]) as $g |
	def num: tonumber;
	def classes($x): [$x.classes[] | {(.fingerprint): .query_count}] | add;
	{
	  "'$PG'.gz": {
	    "bytes": ($pgBytes | num),
	    "grep": {"duration": ($pgDuration | num), "connection received": ($pgReceived | num),
	             "connection authorized": ($pgAuthorized | num), "disconnection": ($pgDisconnection | num)},
	    "peer": "pgBadger 12.0 -j 1 -x json -p '"'"'%m [%p] %q%u@%d '"'"'",
	    "statements": $b.overall_stat.postgres.queries_number,
	    "total_ms": ($b.overall_stat.postgres.queries_duration.execute * 1000 | round / 1000),
	    "fingerprints": ($b.normalyzed_info.postgres | length),
	    "fingerprint_counts": ([$b.normalyzed_info.postgres[] | .count] | sort),
	    "connections": $b.connection_info.postgres.count,
	    "sessions": $b.session_info.postgres.count,
	    "session_ms": $b.session_info.postgres.duration
	  },
	  "'$SLOW'.gz": {
	    "bytes": ($slowBytes | num),
	    "grep": {"# Query_time": ($slowEntries | num)},
	    "peer": "pt-query-digest 3.2.1 --type slowlog --output json",
	    "statements": $s.global.query_count,
	    "total_ms": (($s.global.metrics.Query_time.sum | num) * 1000 * 1000 | round / 1000),
	    "fingerprints_folded": $s.global.unique_query_count,
	    "classes_folded": classes($s)
	  },
	  "'$GEN'.gz": {
	    "bytes": ($genBytes | num),
	    "grep": $genCommands,
	    "peer": "pt-query-digest 3.2.1 --type genlog --output json",
	    "classes": classes($g)
	  }
	}' >"$OUT/verdicts.json"

for f in "$PG" "$SLOW" "$GEN"; do gzip -9nc "$WORK/$f" >"$OUT/$f.gz"; done
chmod 644 "$OUT"/*.gz "$OUT/verdicts.json" "$OUT"/../*-cut.log.gz
ls -la "$OUT"
cat "$OUT/verdicts.json"
