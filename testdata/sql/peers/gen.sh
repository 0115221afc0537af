#!/bin/bash
# Samples of SQL-log layouts the peers' own test suites cover, and the
# peers' verdicts on them (verdicts.tsv, read by cmd/hotpath's
# TestPeerVerdicts). Run as root from anywhere:
#
#   apt-get install -y postgresql mariadb-server pgbadger percona-toolkit \
#       libdbd-mysql-perl bzip2
#   testdata/sql/peers/gen.sh
#
# Recorded here, from real servers on loopback (PostgreSQL 15 on port
# $PGPORT, MariaDB 10.11 on $MYPORT, throw-away data directories under
# $WORK, stopped at the end):
#   pg-stderr.log.bz2       stderr log, bzip2-compressed; an empty query string
#   pg-collapsed.log        the same log with runs of spaces collapsed (tr -s ' '),
#                           as some log shippers deliver it: "LOG: duration: … ms statement:"
#   pg-csv-quoted.csv       the csvlog of the same run loaded into a table and
#                           exported again with COPY … CSV FORCE QUOTE *
#   pg-connections-only.log a log with connection lines only (no statement logged)
#   pg-cnpg.json            the csvlog wrapped as CloudNativePG's instance manager
#                           ships it (python; the operator needs Kubernetes)
#   mariadb-quirks-slow.log, mariadb-quirks-general.log
#                           ORDER BY … ASC variants, a binary literal, a
#                           refused login
#   mariadb-use-slow.log    the same server's slow log after a switch of
#                           slow_query_log_file: a lone "use db" statement
# Derived from the hand-written samples below (no server here writes them):
#   mysql51-general-expanded.log   mysql51-general.log with its tabs expanded (expand)
# Hand-written from the documented layouts of servers Debian no longer ships
# (MySQL 5.0/5.1/5.7, Percona Server), kept as they are:
#   mysql51-general.log, mysql57-general.log, mysql-slow-layouts.log,
#   mysql-slow-garbled.log
#
# verdicts.tsv: one row per sample, the peer's numbers (pgBadger 12 -x json;
# pt-query-digest 3.2 --output json), or, where pt-query-digest cannot read
# the file (it aborts on a garbled Query_time), awk's count of the entries
# whose Query_time is a decimal that fits.
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-/tmp/hotpath-peersgen}
PGBIN=/usr/lib/postgresql/15/bin
PGPORT=${PGPORT:-54392}
MYPORT=${MYPORT:-54391}
rm -rf "$WORK"
mkdir -p "$WORK"
chmod 1777 "$WORK"
cleanup() {
	su postgres -c "$PGBIN/pg_ctl -s -D $WORK/pg stop -m fast" >/dev/null 2>&1 || true
	[ -f "$WORK/mdb.pid" ] && kill "$(cat "$WORK/mdb.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------- PostgreSQL
PFX='%t:%r:%u@%d:[%p]:'
mkdir -p "$WORK/pg" "$WORK/pglog"
chown postgres "$WORK/pg" "$WORK/pglog"
su postgres -c "$PGBIN/initdb -A trust -U postgres -D $WORK/pg" >/dev/null
pgstart() { # log_filename log_line_prefix log_min_duration_statement destinations
	su postgres -c "$PGBIN/pg_ctl -s -w -D $WORK/pg -l $WORK/pg-server.log start -o \"-p $PGPORT -k $WORK \
		-c listen_addresses=127.0.0.1 -c logging_collector=on -c log_directory=$WORK/pglog \
		-c log_filename=$1 -c log_line_prefix='$2' -c log_min_duration_statement=$3 \
		-c log_destination=$4 -c log_connections=on -c log_disconnections=on -c lc_messages=C\""
}
pgstop() { su postgres -c "$PGBIN/pg_ctl -s -w -D $WORK/pg stop -m fast"; }
P="-h 127.0.0.1 -p $PGPORT -U postgres"

pgstart pg.log "$PFX" 0 stderr,csvlog
su postgres -c "psql $P -q -X postgres" >/dev/null <<'SQL'
CREATE TABLE items (id serial PRIMARY KEY, name text, price numeric);
INSERT INTO items (name, price) VALUES ('pen', 1.5), ('ink', 4), ('pad', 2.25);
SELECT name FROM items WHERE id = 1;
SELECT name FROM items WHERE id = 2;
SELECT name,
       price
  FROM items
 ORDER BY name ASC;
UPDATE items SET price = price * 1.1 WHERE name = 'ink';
SQL
# An empty query string, as a client's PQexec(conn, "") sends it (psql
# sends nothing for an empty command, so libpq is called directly).
/usr/bin/python3 - "host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres" <<'PY'
import ctypes, sys
pq = ctypes.CDLL("libpq.so.5")
pq.PQconnectdb.restype = ctypes.c_void_p
pq.PQexec.restype = ctypes.c_void_p
pq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
pq.PQclear.argtypes = [ctypes.c_void_p]
pq.PQfinish.argtypes = [ctypes.c_void_p]
c = pq.PQconnectdb(sys.argv[1].encode())
for q in (b"", b"SELECT name FROM items WHERE id = 3", b""):
    pq.PQclear(pq.PQexec(c, q))
pq.PQfinish(c)
PY
pgstop
cp "$WORK/pglog/pg.log" "$WORK/pg-stderr.log"
bzip2 -9c "$WORK/pg-stderr.log" >"$OUT/pg-stderr.log.bz2"
tr -s ' ' <"$WORK/pg-stderr.log" >"$OUT/pg-collapsed.log"
# The csvlog, re-exported with every field quoted. The columns are text, so
# every value comes back as the server wrote it.
cp "$WORK/pglog/pg.csv" "$WORK/pg.csv"
chmod 644 "$WORK/pg.csv"
# The same csvlog as CloudNativePG's instance manager ships it: each record
# under the csvlog's column names (empty ones left out) inside its own JSON
# object, between messages of the manager itself.
/usr/bin/python3 - "$WORK/pg.csv" >"$OUT/pg-cnpg.json" <<'PY'
import csv, json, sys, datetime
cols = ("log_time user_name database_name process_id connection_from session_id session_line_num command_tag "
        "session_start_time virtual_transaction_id transaction_id error_severity sql_state_code message detail hint "
        "internal_query internal_query_pos context query query_pos location application_name backend_type "
        "leader_pid query_id").split()
def line(ts, **kw):
    print(json.dumps({"level": "info", "ts": ts, **kw}, separators=(",", ":")))
for i, row in enumerate(csv.reader(open(sys.argv[1], newline=""))):
    t = datetime.datetime.strptime(row[0][:23], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
    if i == 1:
        line(t, msg="Starting webserver", logging_pod="shop-pg-1", address=":8000")
    line(t, logger="postgres", msg="record", logging_pod="shop-pg-1",
         record={k: v for k, v in zip(cols, row) if v != ""})
PY
pgstart export.log '%m [%p] ' -1 stderr
cols=$(for i in $(seq 26); do printf 'c%d text,' "$i"; done)
su postgres -c "psql $P -q -X postgres" >/dev/null <<SQL
CREATE TABLE postgres_log (${cols%,});
COPY postgres_log FROM '$WORK/pg.csv' WITH (FORMAT csv);
SQL
su postgres -c "psql $P -q -X -c \"COPY postgres_log TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)\" postgres" >"$OUT/pg-csv-quoted.csv"
pgstop

# Connection lines only: nothing below log_min_duration_statement=-1 is logged.
pgstart conn.log '%t [%p]: db=%d,user=%u,app=%a,client=%h ' -1 stderr
for i in 1 2 3; do su postgres -c "psql $P -q -X -c 'SELECT $i' postgres" >/dev/null; done
pgstop
cp "$WORK/pglog/conn.log" "$OUT/pg-connections-only.log"

# ------------------------------------------------------------------- MariaDB
mkdir -p "$WORK/mdb"
chown mysql "$WORK/mdb"
mariadb-install-db --user=mysql --datadir="$WORK/mdb" --auth-root-authentication-method=normal >/dev/null 2>&1
mariadbd --user=mysql --datadir="$WORK/mdb" --socket="$WORK/mdb.sock" --port="$MYPORT" \
	--bind-address=127.0.0.1 --pid-file="$WORK/mdb.pid" --slow-query-log=1 \
	--slow-query-log-file="$WORK/slow.log" --long-query-time=0 --general-log=1 \
	--general-log-file="$WORK/general.log" --log-error="$WORK/mdb.err" &
for _ in $(seq 50); do [ -S "$WORK/mdb.sock" ] && break; sleep 0.2; done
WORK=$WORK perl -MDBI -e '
my ($sock) = @ARGV;
my $dbh = DBI->connect("DBI:mysql:mysql_socket=$sock", "root", "", {RaiseError => 1, PrintError => 0});
$dbh->do($_) for (
	"CREATE DATABASE shop", "USE shop",
	"CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20), data BLOB)",
	"INSERT INTO items (name) VALUES (\x27pen\x27), (\x27ink\x27)",          # SET insert_id=…
	"INSERT INTO items (name) VALUES (CONCAT(\x27pad\x27, LAST_INSERT_ID()))", # SET last_insert_id=…
	"SELECT name FROM items ORDER BY name ASC",
	"SELECT name FROM items ORDER BY name",
	"SELECT name FROM items ORDER BY name asc, id ASC",
	"SELECT name FROM items ORDER BY name, id",
	"INSERT INTO items (name, data) VALUES (\x27raw\x27, \x27\x01\x02\x1c bytes\x27)", # control bytes, written raw
	"SET GLOBAL slow_query_log_file = \x27$ENV{WORK}/slow-use.log\x27",
	"use shop",                                                                   # a lone "use shop;" entry
	"SELECT COUNT(*) FROM items");
$dbh->disconnect;
# A refused login.
DBI->connect("DBI:mysql:mysql_socket=$sock", "nobody", "wrong", {PrintError => 0});
' "$WORK/mdb.sock"
kill "$(cat "$WORK/mdb.pid")"
wait || true
cp "$WORK/slow.log" "$OUT/mariadb-quirks-slow.log"
cp "$WORK/slow-use.log" "$OUT/mariadb-use-slow.log"
cp "$WORK/general.log" "$OUT/mariadb-quirks-general.log"

# ------------------------------------------------------- derived samples
expand -t 8 "$OUT/mysql51-general.log" >"$OUT/mysql51-general-expanded.log"
chmod 644 "$OUT"/*.log "$OUT"/*.csv "$OUT"/*.bz2 "$OUT"/*.json

# ------------------------------------------------------------------ verdicts
# file, format hotpath should see, peer, statements, total_ms, fingerprints,
# opened, closed ("-": the peer does not say).
pgb() { # file options…
	local f=$1
	shift
	pgbadger -q -j 1 -x json -o "$WORK/pgb.json" "$@" "$OUT/$f" >/dev/null
	jq -r --arg f "$f" '
		[.overall_stat | to_entries[] | .value | objects | select(has("queries_number"))] as $o |
		[$f, ($o | map(.queries_number) | add // 0),
		 ($o | map(.queries_duration.execute // 0) | add // 0),
		 ([.connection_info[]? | objects | .count // 0] | add // 0),
		 ([.session_info[]? | objects | .count // 0] | add // 0)] | @tsv' "$WORK/pgb.json" |
		awk -F'\t' -v fmt="$FMT" -v opts="$*" 'BEGIN{OFS="\t"} {print $1, fmt, "pgbadger " opts, $2, sprintf("%.3f", $3), "-", $4, $5}'
}
ptqd() { # file [genlog]
	local f=$1 type=${2:-slowlog}
	pt-query-digest --no-version-check --type "$type" --output json --limit 100% "$OUT/$f" >"$WORK/pt.json"
	jq -r --arg f "$f" --arg type "$type" --arg fmt "$FMT" '
		.global as $g | [.classes[] | select(.fingerprint | startswith("administrator command: "))] as $a |
		if $type == "genlog" then
			[$f, $fmt, "pt-query-digest --type genlog",
			 $g.query_count - ($a | map(.query_count) | add // 0), "-", $g.unique_query_count - ($a | length),
			 ($a | map(select(.fingerprint == "administrator command: Connect") | .query_count) | add // 0),
			 ($a | map(select(.fingerprint == "administrator command: Quit") | .query_count) | add // 0)]
		else
			[$f, $fmt, "pt-query-digest", $g.query_count, (($g.metrics.Query_time.sum | tonumber) * 1000 * 1000 | round / 1000),
			 $g.unique_query_count, "-", "-"]
		end | @tsv' "$WORK/pt.json"
}
{
	printf 'file\tformat\tpeer\tstatements\ttotal_ms\tfingerprints\topened\tclosed\n'
	FMT=postgres-stderr pgb pg-stderr.log.bz2 -p "$PFX"
	FMT=postgres-stderr pgb pg-collapsed.log -p "$PFX"
	FMT=postgres-csv pgb pg-csv-quoted.csv -f csv
	FMT=postgres-stderr pgb pg-connections-only.log -p '%t [%p]: db=%d,user=%u,app=%a,client=%h '
	FMT=mysql-slow ptqd mariadb-quirks-slow.log
	FMT=mysql-slow ptqd mysql-slow-layouts.log
	FMT=mysql-general ptqd mariadb-quirks-general.log genlog
	FMT=mysql-general ptqd mysql51-general.log genlog
	FMT=mysql-general ptqd mysql51-general-expanded.log genlog
	FMT=mysql-general ptqd mysql57-general.log genlog
	# pt-query-digest aborts on the garbled value, and takes the header of
	# the entry after a lone "use db;" for that entry's statement (its
	# SlowLogParser says so: bug 1082599): awk counts the entries whose
	# Query_time is a decimal that fits in 64-bit nanoseconds.
	# pgBadger 12 predates CloudNativePG's layout: jq counts its records.
	jq -rs '[.[] | .record? // empty] as $r |
		[$r[] | select(.message | test("^duration: [0-9.]+ ms  statement: ")) | .message | capture("^duration: (?<ms>[0-9.]+)").ms | tonumber] as $d |
		["pg-cnpg.json", "postgres-json", "jq", ($d | length), ($d | add * 1000 | round / 1000),
		 "-", ([$r[] | select(.message | startswith("connection authorized: "))] | length),
		 ([$r[] | select(.message | startswith("disconnection: "))] | length)] | @tsv' "$OUT/pg-cnpg.json"
	for f in mysql-slow-garbled.log mariadb-use-slow.log; do
		awk -v f=$f 'BEGIN{OFS="\t"}
			/^# Query_time: /{ v=$3; if (v ~ /^[0-9]+(\.[0-9]+)?$/ && v+0 < 9.2e9) { n++; ms+=v*1000 } }
			END{print f, "mysql-slow", "awk", n, sprintf("%.3f", ms), "-", "-", "-"}' "$OUT/$f"
	done
} >"$OUT/verdicts.tsv"
column -t -s $'\t' "$OUT/verdicts.tsv"
