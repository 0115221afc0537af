#!/usr/bin/env bash
# Hostile inputs (issue 11): generates each one, runs `hotpath report` on it
# under /usr/bin/time -v with a timeout and a memory watchdog, and prints a
# Markdown table: the input, what hotpath did (exit status and its first
# stderr line, control bytes shown as \xNN), peak RSS, and a verdict.
#
#   bench/hostile.sh                 # build ./cmd/hotpath, budget 1GiB
#   BUDGET=4GiB bench/hostile.sh     # another -max-memory
#   HOTPATH=/tmp/old-hotpath bench/hostile.sh   # another binary (one
#                                    # without -max-memory runs without it)
#   ONLY=folded bench/hostile.sh     # the cases whose name has "folded"
#
# Verdicts: "clear error" (the input is refused on one line that says why),
# "counted skip" (it loads; what was passed over is counted or warned
# about), "ok" (it loads); failures are marked ✗: "crash" (a panic or a
# fatal error), "hang" (no answer within TIMEOUT s), "over budget" (peak RSS
# past the budget + 25 % + 128 MiB, the Go soft limit hotpath sets plus the
# runtime; the watchdog kills the run 1 GiB past that), and per-case
# failures (a raw escape on stderr, raw C1/bidi controls in JSON, raw HTML
# in Markdown, a redirect or a symlink passed over silently, a message that
# does not say what happened).
#
# Needs /usr/bin/time (apt-get install time), /usr/bin/python3, zstd, gzip,
# mkfifo. About 700 MB of /tmp while it runs; everything it makes (files,
# the FIFO, the HTTP server) is removed on exit.
set -uo pipefail
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-1GiB}
TIMEOUT=${TIMEOUT:-60}
ONLY=${ONLY:-}
PY=/usr/bin/python3
for tool in /usr/bin/time "$PY" zstd gzip mkfifo pgrep; do
	command -v "$tool" >/dev/null || { echo "hostile.sh needs $tool" >&2; exit 1; }
done

W=$(mktemp -d /tmp/hotpath-hostile.XXXXXX)
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${HOTPATH:-}" ]; then
	HOTPATH=$W/hotpath
	go build -o "$HOTPATH" ./cmd/hotpath || exit 1
fi
FLAGS=()
if "$HOTPATH" report -h 2>&1 | grep -q -- -max-memory; then
	FLAGS=(-max-memory "$BUDGET")
fi
budget_bytes=$("$PY" -c '
import re,sys
m=re.fullmatch(r"([0-9.]+)\s*([kmgt]?)(i?b?)", sys.argv[1].strip().lower())
print(int(float(m.group(1))*1024**" kmgt".index(m.group(2) or " ")))' "$BUDGET")
LIMIT_KB=$(( (budget_bytes + budget_bytes / 4 + (128 << 20)) >> 10 ))
KILL_KB=$(( LIMIT_KB + (1 << 20) ))

# ---------------------------------------------------------------- inputs
cat >"$W/gen.py" <<'EOF'
import gzip, os, struct, sys, zlib

W = sys.argv[1]
def path(name): return os.path.join(W, name)

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def gz_stream(name, head, n_zero, tail=b"", level=6, fill=b"\0"):
    """gzip head + n_zero fill bytes + tail, streamed."""
    with open(path(name), "wb") as f:
        z = zlib.compressobj(level, zlib.DEFLATED, 31)
        f.write(z.compress(head))
        chunk = fill * ((1 << 20) // len(fill))
        left = n_zero
        while left > 0:
            c = chunk[:min(left, len(chunk))]
            f.write(z.compress(c))
            left -= len(c)
        f.write(z.compress(tail))
        f.write(z.flush())

which = sys.argv[2]
if which == "otlp-deep":
    n = 1_000_000
    head = b'{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":'
    with gzip.open(path("deep.otlp.json.gz"), "wb", 9) as f:
        f.write(head)
        f.write(b'{"arrayValue":{"values":[' * n)
        f.write(b'{"stringValue":"x"}')
        f.write(b']}}' * n)
        f.write(b'}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}\n')
elif which == "escape-filename":
    d = path("escape-dir")
    os.mkdir(d)
    # OSC 52 writes the clipboard, ESC[2J clears the screen.
    with open(os.path.join(d, "\x1b]52;c;aGFja2Vk\x07\x1b[2J.log"), "w") as f:
        f.write("nothing any format reads\n")
elif which == "otlp-error":
    with open(path("otlp-error.json"), "wb") as f:
        f.write(b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"ok","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}\n')
        f.write(b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":\x1b]52;c;aGFja2Vk\x07\x1b[2J}]}]}]}\n')
elif which == "folded-identical":
    line = b"main;serve;handle;query 1\n"
    with open(path("identical.folded"), "wb") as f:
        blk = line * 10000
        for _ in range(110 * (1 << 20) // len(blk)):
            f.write(blk)
elif which == "folded-distinct":
    with open(path("distinct.folded"), "wb") as f:
        size, i = 0, 0
        while size < 103 * (1 << 20):
            lines = "".join("main;serve;h%d 1\n" % j for j in range(i, i + 10000)).encode()
            f.write(lines)
            size += len(lines)
            i += 10000
elif which == "zipkin-name":
    head = b'[{"traceId":"5b8efff798038103","id":"eee19b7ec3c1b174","kind":"SERVER","timestamp":1700000000000000,"duration":1000,"localEndpoint":{"serviceName":"s"},"name":"'
    gz_stream("zipkin-1g-name.json.gz", head, 10**9, b'"}]\n', level=9, fill=b"a")
elif which == "pprof-bomb":
    # a valid start (sample_type, string_table[0] = ""), then a string of
    # 1.5 GiB of zeros: past -max-input (1 GiB) and any budget below it.
    n = 3 << 29
    head = b"\x0a\x04\x08\x01\x10\x02" + b"\x32\x00" + b"\x32" + varint(n)
    gz_stream("bomb1.pb.gz", head, n, level=9)
elif which == "folded-overflow":
    with open(path("overflow.folded"), "w") as f:
        f.write("python3;main (app.py:1);handler (app.py:5) 9223372036854775807\n" * 2)
elif which == "json-controls":
    with open(path("controls.folded"), "w") as f:
        f.write("python3;main (app.py:1);evil\u009b31m\u009c\u009d\u202etxt.exe (app.py:5) 90\n")
        f.write("python3;main (app.py:1);other (app.py:9) 10\n")
elif which == "md-html":
    with open(path("html.folded"), "w") as f:
        f.write("python3;main (app.py:1);<script>alert(1)</script> (app.py:5) 60\n")
        f.write("python3;main (app.py:1);<img src=x onerror=alert(1)> (app.py:7) 40\n")
elif which == "pg-long-statement":
    with open(path("long-statement.log"), "w") as f:
        f.write("2024-05-01 10:00:00.000 UTC [4242] LOG:  duration: 1.250 ms  statement: SELECT 1\n")
        f.write("2024-05-01 10:00:01.000 UTC [4242] LOG:  duration: 3.500 ms  statement: SELECT * FROM t WHERE v IN ('" + "','".join("v%06d" % i for i in range(200 * 1024 // 10)) + "')\n")
        f.write("2024-05-01 10:00:02.000 UTC [4242] LOG:  duration: 0.750 ms  statement: SELECT 2\n")
elif which == "line-200mb":
    with open(path("long-line.folded"), "wb") as f:
        f.write(b"main;a;b 3\n")
        f.write(b"main;" + b"x" * (200 << 20) + b" 1\n")
        f.write(b"main;a;c 4\n")
elif which == "gzip-bomb":
    gz_stream("zeros.log.gz", b"", 2 << 30, level=9)
EOF
gen() { "$PY" "$W/gen.py" "$W" "$1"; }

cat >"$W/server.py" <<'EOF'
import http.server, socketserver, sys, threading, time

profile = open(sys.argv[1], "rb").read()
ports = []

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        p = self.path.split("?")[0]
        if p == "/profile":
            self.send_response(200)
            self.send_header("Content-Length", str(len(profile)))
            self.end_headers()
            self.wfile.write(profile)
        elif p == "/err":
            body = b"\x1b]52;c;aGFja2Vk\x07\x1b[2Jinternal error"
            self.send_response(500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif p == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            i = 0
            try:
                while True:
                    self.wfile.write("".join("main;serve;handle_%d 1\n" % j for j in range(i, i + 5000)).encode())
                    i += 5000
            except OSError:
                return
        elif p == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            self.wfile.write(b"main;a;b 1\n")
            self.wfile.flush()
            time.sleep(3600)
        elif p == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:%d/profile" % ports[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_error(404)

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

servers = [S(("127.0.0.1", 0), H) for _ in range(2)]
ports.extend(s.server_address[1] for s in servers)
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
print(ports[0], ports[1], flush=True)
threading.Event().wait()
EOF
"$PY" "$W/server.py" cmd/hotpath/demo/data/workload/cpu.pprof >"$W/ports" &
SERVER_PID=$!
for _ in $(seq 50); do [ -s "$W/ports" ] && break; sleep 0.1; done
read -r PORT PORT2 <"$W/ports"
URL=http://127.0.0.1:$PORT

# ---------------------------------------------------------------- running
rows=()
failures=0

# sanitise: control bytes as \xNN, the work directory as $W, | escaped,
# at most 170 characters.
sanitise() {
	"$PY" -c '
import sys
w = sys.argv[1]
s = sys.stdin.buffer.read().decode("utf-8", "replace").rstrip("\n").replace(w, "$W")
out = "".join(c if c.isprintable() else "\\x%02x" % ord(c) if ord(c) < 256 else "\\u%04x" % ord(c) for c in s)
out = out.replace("|", "\\|")
print(out[:170] + ("…" if len(out) > 170 else ""))' "$W"
}

# run_case NAME LABEL CHECK [hotpath args…]: CHECK is a function named
# check_… that prints "! reason" lines for failures and "counted skip"
# when the report counts what was passed over.
run_case() {
	local name=$1 label=$2 check=$3
	shift 3
	if [ -n "$ONLY" ] && [[ $name != *"$ONLY"* ]]; then return; fi
	local out=$W/out.$name err=$W/err.$name tf=$W/time.$name timeout=${CASE_TIMEOUT:-$TIMEOUT}
	/usr/bin/time -v -o "$tf" "$HOTPATH" report "${FLAGS[@]}" "$@" >"$out" 2>"$err" &
	local tpid=$! killed= hung= start=$SECONDS hp= rss
	while kill -0 "$tpid" 2>/dev/null; do
		[ -z "$hp" ] && hp=$(pgrep -P "$tpid" | head -1)
		if [ -n "$hp" ]; then
			rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$hp/status" 2>/dev/null)
			if [ -n "$rss" ] && [ "$rss" -gt "$KILL_KB" ]; then
				killed=$rss
				kill -KILL "$hp" 2>/dev/null
			fi
		fi
		if [ $((SECONDS - start)) -ge "$timeout" ] && [ -z "$hung" ]; then
			hung=1
			[ -n "$hp" ] && kill -KILL "$hp" 2>/dev/null
		fi
		sleep 0.2
	done
	wait "$tpid" 2>/dev/null
	local code peak first verdict
	code=$(awk -F': ' '/Exit status/ {print $2}' "$tf")
	grep -q "Command terminated by signal" "$tf" && code="signal $(awk '/Command terminated by signal/ {print $NF}' "$tf")"
	peak=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tf")
	first=$(grep -v '^\s*$' "$err" | head -1 | sanitise)
	local said why note
	said=$($check "$out" "$err")
	why=$(printf '%s\n' "$said" | sed -n 's/^! //p' | head -1)
	note=$(printf '%s\n' "$said" | grep -x "counted skip" | head -1)
	if [ -n "$hung" ]; then
		verdict="✗ hang (killed after ${timeout} s)"
	elif [ -n "$killed" ]; then
		verdict="✗ over budget (killed at $((killed >> 10)) MiB)"
	elif grep -qE '^(panic:|fatal error:)|^goroutine [0-9]+ \[' "$err"; then
		verdict="✗ crash"
	elif [[ $code == signal* ]]; then
		verdict="✗ crash ($code)"
	elif [ "${peak:-0}" -gt "$LIMIT_KB" ]; then
		verdict="✗ over budget"
	elif [ -n "$why" ]; then
		verdict="✗ $why"
	elif [ -n "$note" ] && [ "$code" = 0 ]; then
		verdict=$note
	elif [ "$code" = 0 ]; then
		verdict="ok"
	else
		verdict="clear error"
	fi
	[[ $verdict == ✗* ]] && failures=$((failures + 1))
	local what="exit $code"
	[ -n "$first" ] && what="$what: \`$first\`"
	rows+=("| $label | $what | $(( ${peak:-0} >> 10 )) MiB | $verdict |")
	printf '%s: %s (%s)\n' "$name" "$verdict" "exit $code" >&2
}

# Checks. $1 stdout, $2 stderr.
has_esc() { LC_ALL=C grep -q $'\x1b\|\x07\|\x9b' "$1"; }
check_stderr_clean() { has_esc "$2" && echo "! raw escape bytes on stderr"; }
# A load that passed something over says so in the JSON report.
check_counted() {
	"$PY" - "$1" <<'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(0)
if any(s.get("skipped") or s.get("warnings") for s in r["sources"]):
    print("counted skip")
EOF
}
check_skip() {
	check_counted "$@"
	check_stderr_clean "$@"
}
check_nonneg() {
	"$PY" - "$1" <<'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(0)
neg = []
def walk(x, p):
    if isinstance(x, dict):
        for k, v in x.items(): walk(v, p + "." + k)
    elif isinstance(x, list):
        for i, v in enumerate(x): walk(v, p + "[%d]" % i)
    elif isinstance(x, (int, float)) and not isinstance(x, bool) and x < 0:
        neg.append("%s=%s" % (p, x))
walk(r, "")
if neg:
    print("! negative numbers in the report: " + ", ".join(neg[:3]))
EOF
	check_counted "$@"
}
check_json_controls() {
	LC_ALL=C grep -q $'\xc2[\x80-\x9f]\|\xe2\x80[\xaa-\xae]\|\xe2\x81[\xa6-\xa9]' "$1" && echo "! raw C1/bidi controls in the JSON output"
}
check_md_html() {
	"$PY" - "$1" <<'EOF'
import re, sys
md = open(sys.argv[1], encoding="utf-8", errors="replace").read()
outside = re.sub(r"`[^`\n]*`", "", md)  # code spans show their text
if re.search(r"<(script|img)\b", outside, re.I):
    print("! raw HTML from the input in the Markdown output")
EOF
}
check_budget_msg() {
	check_stderr_clean "$@"
	grep -q "memory budget (-max-memory)\|larger than" "$2" || { [ -s "$2" ] && echo "! an error that does not name the limit"; }
}
check_idle_msg() { says "$2" "delivered nothing" "$1" || echo "! does not say the input stayed silent"; }
check_timeout_msg() { says "$2" "timed out|timeout" "$1" || echo "! does not say it timed out"; }
# says DIRECTION WORDS: stderr, or the sources' warnings, notes and errors
# in the JSON report, mention one of the words (a regexp).
says() {
	grep -qiE "$2" "$1" && return 0
	"$PY" - "$3" "$2" <<'EOF'
import json, re, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
text = " ".join(" ".join(s.get("warnings") or []) + " " + " ".join(s.get("notes") or []) + " " + (s.get("error") or "") + " " + " ".join(k["reason"] for k in s.get("skip_reasons") or []) for s in r["sources"])
sys.exit(0 if re.search(sys.argv[2], text, re.I) else 1)
EOF
}
check_redirect() {
	says "$2" "redirect" "$1" || echo "! a redirect to another origin followed silently"
}
check_symlink() {
	says "$2" "symlink|symbolic link" "$1" || echo "! a symlink skipped silently"
	check_counted "$@"
}
check_statement_cut() {
	says "$2" "cut|truncat|longer than" "$1" || echo "! the statement cut with no warning"
	check_counted "$@"
}

echo "generating inputs in $W …" >&2
want() { [ -z "$ONLY" ] || [[ $1 == *"$ONLY"* ]]; }
want otlp-deep && gen otlp-deep
want escape-filename && gen escape-filename
want otlp-error && gen otlp-error
want folded-identical && gen folded-identical
want folded-distinct && gen folded-distinct
want zipkin && gen zipkin-name
want pprof-bomb && gen pprof-bomb && cp "$W/bomb1.pb.gz" "$W/bomb2.pb.gz"
want folded-overflow && gen folded-overflow
want json-controls && gen json-controls
want md-html && gen md-html
want pg-long && gen pg-long-statement
want line-200mb && gen line-200mb
want gzip-bomb && gen gzip-bomb
want zstd-bomb && head -c $((2 << 30)) /dev/zero | zstd -q -19 -o "$W/zeros.log.zst"
want fifo && mkfifo "$W/never.fifo"
want symlink && {
	mkdir "$W/linkdir"
	cp testdata/profiles/app.folded "$W/linkdir/app.folded"
	cp testdata/profiles/app.folded "$W/outside.folded"
	ln -s "$W/outside.folded" "$W/linkdir/linked.folded"
}

echo "running hotpath (${FLAGS[*]:-no -max-memory}, timeout ${TIMEOUT} s) …" >&2
J=(-format json)
run_case otlp-deep "OTLP JSON, \`arrayValue\` nested 1,000,000 deep (64 KB gzipped)" check_stderr_clean "${J[@]}" "$W/deep.otlp.json.gz"
run_case escape-filename "a directory with a file named \`ESC]52;c;…BEL ESC[2J.log\`" check_stderr_clean "${J[@]}" "$W/escape-dir"
run_case otlp-error "OTLP JSON whose second line holds OSC 52 and \`ESC[2J\`" check_stderr_clean "${J[@]}" "$W/otlp-error.json"
run_case http-error-escape "HTTP 500 whose body holds OSC 52 and \`ESC[2J\`" check_stderr_clean "${J[@]}" "$URL/err"
run_case folded-identical "110 MB of one folded stack repeated" check_skip "${J[@]}" "$W/identical.folded"
run_case folded-distinct "103 MB of distinct folded stacks" check_budget_msg "${J[@]}" "$W/distinct.folded"
run_case folded-endless-http "an endless body of distinct folded stacks over HTTP" check_budget_msg "${J[@]}" "$URL/endless"
run_case zipkin-1g-name "Zipkin JSON with a 1 GB span name (1 MB gzipped)" check_budget_msg "${J[@]}" "$W/zipkin-1g-name.json.gz"
run_case pprof-bomb-x2 "two pprof gzip bombs (1.5 GiB string, 1.5 MB gzipped) in parallel" check_budget_msg "${J[@]}" "$W/bomb1.pb.gz" "$W/bomb2.pb.gz"
run_case folded-overflow "folded: two counts of 2^63-1 on one stack" check_nonneg "${J[@]}" "$W/overflow.folded"
CASE_TIMEOUT=15 run_case fifo "a FIFO no one writes to (\`-timeout 3\`)" check_idle_msg -timeout 3 "${J[@]}" "$W/never.fifo"
run_case json-controls "frame names with U+009B/9C/9D and U+202E, \`-format json\`" check_json_controls "${J[@]}" "$W/controls.folded"
run_case md-html "frame names \`<script>\`, \`<img onerror>\`, \`-format md\`" check_md_html -format md "$W/html.folded"
CASE_TIMEOUT=20 run_case http-stall "an HTTP body that stalls after the headers (\`-timeout 3\`)" check_timeout_msg "${J[@]}" -timeout 3 "$URL/stall"
run_case redirect-cross-origin "an HTTP redirect to another origin" check_redirect "${J[@]}" "$URL/redirect"
run_case symlink-in-dir "a directory holding a symlink to a file" check_symlink "${J[@]}" "$W/linkdir"
run_case pg-long-statement "a PostgreSQL statement of 200 KB" check_statement_cut "${J[@]}" "$W/long-statement.log"
run_case gzip-bomb "gzip bomb: 2 GiB of zeros in 2 MB" check_stderr_clean "${J[@]}" "$W/zeros.log.gz"
run_case zstd-bomb "zstd bomb: 2 GiB of zeros in 64 KB" check_stderr_clean "${J[@]}" "$W/zeros.log.zst"
run_case line-200mb "folded with a 200 MB line between two stacks" check_skip "${J[@]}" "$W/long-line.folded"

echo
echo "$HOTPATH (worktree at $(git describe --always --dirty 2>/dev/null)), ${FLAGS[*]:-no -max-memory}; over budget past $((LIMIT_KB >> 10)) MiB RSS"
echo
echo "| input | what hotpath does | peak RSS | verdict |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "$failures failing rows"
