# Shared PostgreSQL helpers for the scenario recorders (sourced, not run).
# A private cluster under $PGWORK on a loopback port, run as the `postgres`
# user, logging every statement and every connection to stderr -> $PGWORK/postgres.log.
#
#   PGWORK=/tmp/x PGPORT=54329 . ../pg.sh; pg_start; ...; pg_stop
#
# Logging can be changed per scenario (the defaults are pyshop's and goshop's):
#   PG_LOG_DESTINATION   log_destination              (default 'stderr')
#   PG_LOGGING_COLLECTOR logging_collector            (default off; when on, the
#                        logs go to $PG_LOG_DIRECTORY, default $PGWORK/pglog,
#                        as postgresql.log/.csv/.json, never rotated)
#   PG_LOG_LINE_PREFIX   log_line_prefix              (default '%m [%p] %q%u@%d ')
#   PG_EXTRA_CONF        more postgresql.conf lines, appended last (they win)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

pg_install() {
	if [ ! -x "$PGBIN/initdb" ]; then
		# dpkg's lock may be held by someone else: retry a few times.
		for i in 1 2 3 4 5 6; do
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql && break
			sleep 10
		done
	fi
}

pg_stop() {
	if [ -f "$PGWORK/pgdata/postmaster.pid" ]; then
		su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D '$PGWORK/pgdata' -m fast -w stop" >/dev/null 2>&1 || true
	fi
}

pg_start() {
	pg_stop
	rm -rf "$PGWORK/pgdata" "$PGWORK/postgres.log" "${PG_LOG_DIRECTORY:-$PGWORK/pglog}"
	mkdir -p "$PGWORK"
	chown postgres "$PGWORK"
	su postgres -s /bin/sh -c "$PGBIN/initdb -D '$PGWORK/pgdata' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
	cat >>"$PGWORK/pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGWORK'
logging_collector = ${PG_LOGGING_COLLECTOR:-off}
log_destination = '${PG_LOG_DESTINATION:-stderr}'
log_directory = '${PG_LOG_DIRECTORY:-$PGWORK/pglog}'
log_filename = 'postgresql.log'
log_rotation_age = 0
log_rotation_size = 0
log_min_duration_statement = 0
log_connections = on
log_disconnections = on
log_line_prefix = '${PG_LOG_LINE_PREFIX:-%m [%p] %q%u@%d }'
log_timezone = 'UTC'
timezone = 'UTC'
shared_buffers = 32MB
max_connections = 200
fsync = off
synchronous_commit = off
${PG_EXTRA_CONF:-}
CONF
	su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D '$PGWORK/pgdata' -l '$PGWORK/postgres.log' -w start" >/dev/null
}

# pg_psql DB SQL... : run SQL as postgres on the private cluster
pg_psql() {
	local db=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$db" "$@"
}
