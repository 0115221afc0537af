#!/bin/bash
# Regenerates the SQL log samples in this directory from real servers and
# ORMs, installed from Debian packages:
#
#   apt-get install -y postgresql mariadb-server sysbench \
#       python3-sqlalchemy python3-psycopg2 python3-django \
#       ruby-activerecord ruby-sqlite3
#
# Run as root from anywhere: ./testdata/sql/gen.sh. Servers run as their
# system users (postgres, mysql) on loopback ports with throw-away data
# directories under $WORK (default /tmp/hotpath-sqlgen), and are stopped
# at the end. Nothing outside $WORK and this directory is touched.
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-/tmp/hotpath-sqlgen}
PGBIN=/usr/lib/postgresql/15/bin
PGPORT=${PGPORT:-55491}
MYPORT=${MYPORT:-53391}
PY=/usr/bin/python3
rm -rf "$WORK"; mkdir -p "$WORK"; chmod 1777 "$WORK"

# ---------------------------------------------------------------- PostgreSQL
PGDATA=$WORK/pg
mkdir -p "$PGDATA" "$WORK/pglog"; chown postgres "$PGDATA" "$WORK/pglog"
su postgres -c "$PGBIN/initdb -A trust -U postgres -D $PGDATA" >/dev/null 2>&1

pgrun() { # name prefix destination extra-psql-work
	local name=$1 prefix=$2 dest=$3
	rm -f "$WORK"/pglog/*
	su postgres -c "$PGBIN/pg_ctl -s -w -D $PGDATA -l $WORK/pg-server.log start -o \"-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 \
		-c logging_collector=on -c log_directory=$WORK/pglog -c log_filename=$name.log \
		-c log_destination=$dest -c log_line_prefix='$prefix' \
		-c log_min_duration_statement=0 -c log_connections=on -c log_disconnections=on \
		-c log_lock_waits=on -c deadlock_timeout=100ms -c log_temp_files=0 -c lc_messages=C\""
	local P="-h 127.0.0.1 -p $PGPORT -U postgres"
	su postgres -c "$PGBIN/pgbench $P -i -s 1 -q postgres" >/dev/null 2>&1
	su postgres -c "$PGBIN/pgbench $P -c 2 -j 1 -t 8 -M ${PGMODE:-simple} ${PGFLAGS:-} postgres" >/dev/null 2>&1
	# multi-line statements, sqlcommenter and marginalia tags, a temp file,
	# an error, and a lock wait.
	su postgres -c "psql $P -q -X postgres" >/dev/null 2>&1 <<'SQL' || true
SELECT aid,
       abalance
  FROM pgbench_accounts
 WHERE aid IN (1, 2, 3)
 ORDER BY aid;
SELECT abalance FROM pgbench_accounts WHERE aid = 7 /*route='%2Forders%2F%3Cid%3E',controller='orders',traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01'*/;
/*application:shop,controller:orders,action:show*/ SELECT count(*) FROM pgbench_branches;
SET work_mem = '64kB';
SELECT * FROM generate_series(1, 20000) g ORDER BY g DESC LIMIT 1;
SELECT * FROM no_such_table;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 1, 5, now()), (2, 1, 2, -5, now()), (3, 1, 3, 0, now());
SELECT $$dollar 'quoted'$$, E'it''s', 'multi
line literal';
SQL
	su postgres -c "psql $P -q -X -c 'BEGIN; LOCK pgbench_branches; SELECT pg_sleep(0.4); COMMIT;' postgres" >/dev/null 2>&1 &
	sleep 0.15
	su postgres -c "psql $P -q -X -c 'UPDATE pgbench_branches SET bbalance = 0 WHERE bid = 1' postgres" >/dev/null 2>&1 || true
	wait
	su postgres -c "$PGBIN/pg_ctl -s -w -D $PGDATA stop -m fast"
	for f in "$WORK"/pglog/*; do cp "$f" "$OUT/pg-$name.${f##*.}"; done
}

PGMODE=simple PGFLAGS=-C pgrun default '%m [%p] %q%u@%d ' stderr
PGMODE=extended pgrun pgbadger '%t [%p]: user=%u,db=%d,app=%a,client=%h ' stderr
PGMODE=prepared pgrun rds '%t:%r:%u@%d:[%p]:' stderr
PGMODE=extended pgrun escapes '%n %c %l %x/%v %e %a %h %% %q%u ' stderr
PGMODE=extended pgrun structured '%m [%p] ' 'stderr,csvlog,jsonlog'
# pg-structured.log is the stderr twin of the csv/json files; keep the structured ones only.
rm -f "$OUT/pg-structured.log"

# SQLAlchemy echo + pool debug, against the same PostgreSQL (an N+1 loop and
# a no-pool engine on purpose).
su postgres -c "$PGBIN/pg_ctl -s -w -D $PGDATA -l $WORK/pg-server.log start -o \"-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1\""
$PY "$OUT/sqlalchemy_app.py" "postgresql+psycopg2://postgres@127.0.0.1:$PGPORT/postgres" >"$OUT/sqlalchemy-echo.log" 2>&1
su postgres -c "$PGBIN/pg_ctl -s -w -D $PGDATA stop -m fast"

# ------------------------------------------------------------------- MariaDB
MYDATA=$WORK/mdb
mkdir -p "$MYDATA"; chown mysql "$MYDATA"
mariadb-install-db --user=mysql --datadir="$MYDATA" --auth-root-authentication-method=normal >/dev/null 2>&1
mariadbd --user=mysql --datadir="$MYDATA" --socket="$WORK/mdb.sock" --port=$MYPORT \
	--bind-address=127.0.0.1 --pid-file="$WORK/mdb.pid" --skip-grant-tables=0 \
	--slow-query-log=1 --slow-query-log-file="$WORK/slow.log" --long-query-time=0 \
	--log-slow-verbosity=query_plan,explain --general-log=1 --general-log-file="$WORK/general.log" \
	--log-error="$WORK/mdb.err" &
for i in $(seq 50); do [ -S "$WORK/mdb.sock" ] && break; sleep 0.2; done
M="mariadb --comments --socket=$WORK/mdb.sock -uroot"
$M -e 'CREATE DATABASE sbtest'
sysbench oltp_read_write --db-driver=mysql --mysql-socket="$WORK/mdb.sock" --mysql-user=root \
	--tables=1 --table-size=200 prepare >/dev/null
sysbench oltp_read_write --db-driver=mysql --mysql-socket="$WORK/mdb.sock" --mysql-user=root \
	--tables=1 --table-size=200 --threads=2 --events=12 run >/dev/null
$M sbtest >/dev/null <<'SQL'
SELECT id,
       k
  FROM sbtest1
 WHERE id IN (1, 2, 3);
SELECT c FROM sbtest1 WHERE id = 5 /*route='%2Fitems',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/;
SELECT SLEEP(0.01);
SELECT * FROM sbtest1 ORDER BY c LIMIT 3;
SQL
$M -e 'FLUSH SLOW LOGS; FLUSH GENERAL LOGS'
kill "$(cat "$WORK/mdb.pid")"; wait || true
cp "$WORK/slow.log" "$OUT/mariadb-slow.log"
cp "$WORK/general.log" "$OUT/mariadb-general.log"

# -------------------------------------------------------------- Django, Rails
$PY "$OUT/django_app.py" >"$OUT/django-debug.log" 2>&1
if command -v ruby >/dev/null && ruby -e 'require "active_record"' 2>/dev/null; then
	ruby "$OUT/rails_app.rb" >"$OUT/rails-activerecord.log" 2>&1
fi

# The cuts of larger real-world logs (*-cut.log.gz) come from cuts/cut.sh.
# Keep the repository small: the samples are stored gzipped (hotpath reads
# gzip transparently; zcat to look at them).
for f in "$OUT"/*.log "$OUT"/*.csv "$OUT"/*.json; do [ -f "$f" ] && gzip -9nf "$f"; done
chmod 644 "$OUT"/*.gz
rm -rf "$WORK" # servers are stopped; their data directories go
ls -la "$OUT"
