#!/usr/bin/env bash
# Re-record the access logs: run each real server (nginx, Apache httpd and
# Caddy in front of gunicorn; gunicorn, uvicorn and aiohttp on their own; a Go
# program with chi's and gorilla's middleware and log/slog), send every
# server the request mix of requests.tsv with client.py, stop it, and copy
# its access logs next to this script. Each server writes its log in
# several layouts at once where it allows (nginx, Apache, aiohttp, Go), or
# is run again per layout (gunicorn, uvicorn).
#   usage: bash record.sh        (as root; about half a minute plus the Go build)
#   needs: apt-get install nginx apache2 caddy gunicorn uvicorn python3-aiohttp curl; go
# Ports 54371–54379 on 127.0.0.1. Cleans up its processes and temp dir, also
# on failure.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=/tmp/hotpath-accesslog
OUT=$WORK/out
PY=/usr/bin/python3
NGINX=127.0.0.1:54371 APACHE=127.0.0.1:54372 GUNICORN=127.0.0.1:54373 CADDY=127.0.0.1:54374
UVICORN=127.0.0.1:54375 AIO1=54376 AIO2=54377 AIO3=54378 GOSERVE=127.0.0.1:54379

PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$WORK"
mkdir -p "$OUT"
chmod 755 "$WORK" "$OUT"

wait_port() {
	for _ in $(seq 1 100); do
		(echo >/dev/tcp/127.0.0.1/"${1##*:}") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "port $1 never opened" >&2
	return 1
}
stop_pid() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
fill() { sed -e "s|@WORK@|$WORK|g" -e "s|@OUT@|$OUT|g" -e "s|@PORT@|${2##*:}|g" -e "s|@UPSTREAM@|$GUNICORN|g" "$HERE/$1"; }
send() { $PY "$HERE/client.py" send "http://$1" <"$HERE/requests.tsv"; }

# gunicorn LAYOUT-NAME FORMAT: start gunicorn writing its access log as FORMAT
gunicorn_start() {
	(cd "$HERE" && exec gunicorn --bind "$GUNICORN" --workers 2 --access-logfile "$OUT/gunicorn-$1.log" \
		${2:+--access-logformat "$2"} app:wsgi) >"$WORK/gunicorn-$1.out" 2>&1 &
	G_PID=$!
	PIDS+=("$G_PID")
	wait_port "$GUNICORN"
}

# --- nginx → gunicorn (default layout)
gunicorn_start default ""
fill nginx.conf "$NGINX" >"$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" &
N_PID=$!
PIDS+=("$N_PID")
wait_port "$NGINX"
send "$NGINX"
stop_pid "$N_PID"
stop_pid "$G_PID"

# --- Apache httpd → gunicorn (seconds with µs, and the request id)
gunicorn_start timed '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s %({x-request-id}i)s'
fill apache2.conf "$APACHE" >"$WORK/apache2.conf"
apache2 -f "$WORK/apache2.conf" -DFOREGROUND &
A_PID=$!
PIDS+=("$A_PID")
wait_port "$APACHE"
send "$APACHE"
stop_pid "$A_PID"
stop_pid "$G_PID"

# --- Caddy → gunicorn (microseconds)
gunicorn_start D '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s'
fill Caddyfile "$CADDY" >"$WORK/Caddyfile"
caddy run --config "$WORK/Caddyfile" --adapter caddyfile >"$WORK/caddy.out" 2>&1 &
C_PID=$!
PIDS+=("$C_PID")
wait_port "$CADDY"
send "$CADDY"
stop_pid "$C_PID"
stop_pid "$G_PID"

# --- uvicorn: the default layout on stdout+stderr as a service manager
# captures it, then a logging config with asctime, process and logger name.
(cd "$HERE" && exec uvicorn --host 127.0.0.1 --port "${UVICORN##*:}" --no-use-colors app:asgi) >"$OUT/uvicorn.log" 2>&1 &
U_PID=$!
PIDS+=("$U_PID")
wait_port "$UVICORN"
send "$UVICORN"
stop_pid "$U_PID"
fill uvicorn-logging.json "$UVICORN" >"$WORK/uvicorn-logging.json"
(cd "$HERE" && exec uvicorn --host 127.0.0.1 --port "${UVICORN##*:}" --log-config "$WORK/uvicorn-logging.json" app:asgi) >"$WORK/uvicorn2.out" 2>&1 &
U_PID=$!
PIDS+=("$U_PID")
wait_port "$UVICORN"
send "$UVICORN"
stop_pid "$U_PID"

# --- aiohttp: three runners, one access-log format each
$PY "$HERE/app.py" aiohttp \
	"$AIO1" '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"' "$OUT/aiohttp-default.log" \
	"$AIO2" '%a %t "%r" %s %b %Tf "%{X-Request-ID}i"' "$OUT/aiohttp-Tf.log" \
	"$AIO3" '%t [%P] %a "%r" %s %b %D' "$OUT/aiohttp-D.log" >"$WORK/aiohttp.out" 2>&1 &
H_PID=$!
PIDS+=("$H_PID")
for p in "$AIO1" "$AIO2" "$AIO3"; do wait_port "127.0.0.1:$p"; send "127.0.0.1:$p"; done
stop_pid "$H_PID"

# --- Go: chi, gorilla/handlers and log/slog middleware around one handler
(cd "$HERE/goserve" && go build -o "$WORK/goserve" .)
"$WORK/goserve" -addr "$GOSERVE" -out "$OUT" >"$WORK/goserve.out" 2>&1 &
S_PID=$!
PIDS+=("$S_PID")
wait_port "$GOSERVE"
send "$GOSERVE"
stop_pid "$S_PID"

# Every request of the mix must be in every access log.
want=$(($(wc -l <"$HERE/requests.tsv") - 1))
for f in "$OUT"/*; do
	n=$(grep -c -E '"?(GET|POST)[ "]' "$f" || true)
	if [ "$n" -ne "$want" ]; then
		echo "$f: $n requests, want $want" >&2
		exit 1
	fi
done
rm -f "$HERE"/out/*
mkdir -p "$HERE/out"
cp "$OUT"/* "$HERE/out/"
ls -l "$HERE/out"
