# Shared PostgreSQL helpers for the scenario recorders (sourced, not run).
# A private cluster under $PGWORK on a loopback port, run as the `postgres`
# user, logging every statement and every connection to stderr -> $PGWORK/postgres.log.
#
#   PGWORK=/tmp/x PGPORT=54329 . ../pg.sh; pg_start; ...; pg_stop
#
# Optional overrides (set before pg_start; the defaults are pyshop's and goshop's):
#   PG_LOG_LINE_PREFIX   log_line_prefix (default '%m [%p] %q%u@%d ')
#   PG_LOG_DESTINATION   log_destination (default 'stderr'); with csvlog or
#                        jsonlog in it the logging collector is switched on
#   PG_LOGGING_COLLECTOR logging_collector (default: on for csvlog/jsonlog);
#                        the collector writes every destination into
#                        $PG_LOG_DIRECTORY (default $PGWORK/pglog) as
#                        $PG_LOG_FILENAME (.log, .csv, .json: the same events)
#   PG_LOG_FILENAME      log_filename for the collector (default 'postgresql.log')
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
	local dest=${PG_LOG_DESTINATION:-stderr} collector=off
	case $dest in *csvlog* | *jsonlog*) collector=on ;; esac
	su postgres -s /bin/sh -c "$PGBIN/initdb -D '$PGWORK/pgdata' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
	cat >>"$PGWORK/pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGWORK'
logging_collector = ${PG_LOGGING_COLLECTOR:-$collector}
log_destination = '$dest'
log_directory = '${PG_LOG_DIRECTORY:-$PGWORK/pglog}'
log_filename = '${PG_LOG_FILENAME:-postgresql.log}'
log_rotation_age = 0
log_rotation_size = 0
log_file_mode = 0644
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
