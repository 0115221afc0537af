#!/usr/bin/env bash
# Record one PostgreSQL run logged three ways at once —
# log_destination = 'stderr,csvlog,jsonlog' with the logging collector, the
# same events in postgresql.log, postgresql.csv and postgresql.json — as real
# servers are often configured. The workload is pgbench: `pgbench -i`
# (schema set-up and COPY: context, not findings), then a connection per
# transaction (-C: the no-pool signature) on two clients.
#   usage: bash record.sh   (as root; ~20 s; needs Debian's postgresql)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)/threeformats
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PGPORT:-54411}
WORK=$(mktemp -d /tmp/hotpath-threeformats.XXXXXX)
if [ ! -x "$PGBIN/initdb" ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
fi
cleanup() {
	su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D '$WORK/data' -m fast -w stop" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
chown postgres "$WORK"
su postgres -s /bin/sh -c "$PGBIN/initdb -D '$WORK/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
cat >>"$WORK/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK'
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = '$WORK/log'
log_filename = 'postgresql'
log_rotation_age = 0
log_rotation_size = 0
log_min_duration_statement = 0
log_connections = on
log_disconnections = on
log_line_prefix = '%t [%p]: db=%d,user=%u,app=%a,client=%h '
log_timezone = 'UTC'
fsync = off
CONF
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D '$WORK/data' -l '$WORK/server.log' -w start" >/dev/null
psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -c "create database bench" >/dev/null
pgbench -q -i -s 1 -h 127.0.0.1 -p "$PORT" -U postgres bench >/dev/null 2>&1
pgbench -n -C -c 2 -t 40 -h 127.0.0.1 -p "$PORT" -U postgres bench >/dev/null
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D '$WORK/data' -m fast -w stop" >/dev/null
# The collector names the files postgresql, postgresql.csv, postgresql.json.
cp "$WORK/log/postgresql" "$HERE/postgresql.log"
cp "$WORK/log/postgresql.csv" "$HERE/postgresql.csv"
cp "$WORK/log/postgresql.json" "$HERE/postgresql.json"
gzip -9nf "$HERE/postgresql.log" "$HERE/postgresql.csv" "$HERE/postgresql.json"
chmod 644 "$HERE"/*.gz
ls -la "$HERE"
