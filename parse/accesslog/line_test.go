package accesslog_test

import (
	"testing"
	"time"

	"hotpath/parse"
	"hotpath/parse/accesslog"
)

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

// Lines of layouts the recorder does not run, written as their servers'
// documentation shows them; the expected fields are read off the line.
func TestParseLine(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return tm.UTC()
	}
	for _, tc := range []struct {
		name, line     string
		ok             bool
		method, target string
		status         int
		dur            time.Duration
		hasDur         bool
		id             string
		time           time.Time
		start          time.Time
	}{
		{name: "Apache docs combined", line: `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"`,
			ok: true, method: "GET", target: "/apache_pb.gif", status: 200, time: utc("2000-10-10T20:55:36Z"), start: utc("2000-10-10T20:55:36Z")},
		{name: "nginx upstream list", line: `10.0.0.1 - - [01/Dec/2026:15:28:49 +0100] "GET /api/v2/items?id=3 HTTP/2.0" 502 157 "-" "curl/8.0" 0.012 "0.004, 0.008"`,
			ok: true, method: "GET", target: "/api/v2/items?id=3", status: 502, dur: ms(12), hasDur: true,
			time: utc("2026-12-01T14:28:49Z"), start: utc("2026-12-01T14:28:48.988Z")},
		{name: "syslog prefix", line: `Dec  1 15:28:49 web1 nginx: 192.168.1.5 - - [01/Dec/2026:15:28:49 +0000] "POST /login HTTP/1.1" 302 0 "-" "Mozilla/5.0" 0.045`,
			ok: true, method: "POST", target: "/login", status: 302, dur: ms(45), hasDur: true,
			time: utc("2026-12-01T15:28:49Z"), start: utc("2026-12-01T15:28:48.955Z")},
		{name: "syslog prefix, no duration", line: `Dec  1 15:28:49 web1 nginx: 192.168.1.5 - - [01/Dec/2026:15:28:49 +0000] "GET / HTTP/1.1" 200 615 "-" "Mozilla/5.0"`,
			ok: true, method: "GET", target: "/", status: 200, time: utc("2026-12-01T15:28:49Z"), start: utc("2026-12-01T15:28:49Z")},
		{name: "container runtime prefix", line: `2026-12-01T15:28:49.123456789Z stdout F 127.0.0.1 - - [01/Dec/2026:15:28:49 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/7.88.1"`,
			ok: true, method: "GET", target: "/", status: 200, time: utc("2026-12-01T15:28:49Z"), start: utc("2026-12-01T15:28:49Z")},
		{name: "IPv6 client", line: `::1 - - [01/Dec/2026:15:28:49 +0000] "GET /x HTTP/1.1" 404 0 "-" "-"`,
			ok: true, method: "GET", target: "/x", status: 404, time: utc("2026-12-01T15:28:49Z"), start: utc("2026-12-01T15:28:49Z")},
		{name: "escaped quotes in the user agent", line: `127.0.0.1 - - [01/Dec/2026:15:28:49 +0000] "GET /q HTTP/1.1" 200 5 "-" "probe \"quoted\" [x]; 1;2;3 9" 0.250`,
			ok: true, method: "GET", target: "/q", status: 200, dur: ms(250), hasDur: true, time: utc("2026-12-01T15:28:49Z"), start: utc("2026-12-01T15:28:48.75Z")},
		{name: "nginx $msec first", line: `1796138934.078 127.0.0.1 "GET /orders/1 HTTP/1.1" 200 12 0.003`,
			ok: true, method: "GET", target: "/orders/1", status: 200, dur: ms(3), hasDur: true, time: time.Unix(1796138934, 78e6).UTC(), start: time.Unix(1796138934, 75e6).UTC()},
		{name: "traceparent", line: `127.0.0.1 - - [01/Dec/2026:15:28:49 +0000] "GET /x HTTP/1.1" 200 5 "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" 0.010`,
			ok: true, method: "GET", target: "/x", status: 200, dur: ms(10), hasDur: true, id: "4bf92f3577b34da6a3ce929d0e0e4736",
			time: utc("2026-12-01T15:28:49Z"), start: utc("2026-12-01T15:28:48.99Z")},
		{name: "uvicorn.access message", line: `127.0.0.1:54321 - "GET /x?y=1 HTTP/1.1" 200`, ok: true, method: "GET", target: "/x?y=1", status: 200},
		{name: "aiohttp.access message", line: `127.0.0.1 [01/Dec/2026:15:29:01 +0000] "GET /items/x7k2m9q4 HTTP/1.1" 200 190 "-" "curl/7.88.1"`,
			ok: true, method: "GET", target: "/items/x7k2m9q4", status: 200, time: utc("2026-12-01T15:29:01Z"), start: utc("2026-12-01T15:29:01Z")},
		{name: "chi coloured", line: "2026/12/01 15:29:08 \x1b[1m\x1b[34m\"GET http://127.0.0.1:54379/x HTTP/1.1\"\x1b[0m from 127.0.0.1:57358 - \x1b[32m200\x1b[0m 28B in \x1b[32m280.17µs\x1b[0m",
			ok: true, method: "GET", target: "http://127.0.0.1:54379/x", status: 200, dur: 280170 * time.Nanosecond, hasDur: true,
			time: utc("2026-12-01T15:29:08Z"), start: utc("2026-12-01T15:29:07.99971983Z")},
		{name: "Traefik JSON", line: `{"ClientHost":"10.0.0.2","DownstreamStatus":200,"Duration":1234567,"RequestMethod":"GET","RequestPath":"/orders/7","RequestProtocol":"HTTP/1.1","StartUTC":"2026-12-01T15:28:49.123456789Z","request_X-Request-Id":"abc-123-def-456-ghi7","level":"info","msg":"","time":"2026-12-01T15:28:50Z"}`,
			ok: true, method: "GET", target: "/orders/7", status: 200, dur: 1234567, hasDur: true, id: "abc-123-def-456-ghi7",
			time: utc("2026-12-01T15:28:50Z"), start: utc("2026-12-01T15:28:49.998765433Z")},
		{name: "echo JSON", line: `{"time":"2026-12-01T15:28:49.5+01:00","id":"req-7f3a","remote_ip":"::1","host":"localhost:1323","method":"GET","uri":"/users/42","user_agent":"curl/8","status":200,"error":"","latency":52113,"latency_human":"52.113µs","bytes_in":0,"bytes_out":13}`,
			ok: true, method: "GET", target: "/users/42", status: 200, dur: 52113, hasDur: true, id: "req-7f3a",
			time: utc("2026-12-01T14:28:49.5Z"), start: utc("2026-12-01T14:28:49.499947887Z")},
		{name: "zap JSON", line: `{"level":"info","ts":1796138934.5,"caller":"app/main.go:42","msg":"request","method":"POST","path":"/orders","status":201,"latency":0.001234,"request_id":"01HF7Y3ZQ8K2M4N6P8R0S2T4V6"}`,
			ok: true, method: "POST", target: "/orders", status: 201, dur: 1234 * time.Microsecond, hasDur: true, id: "01HF7Y3ZQ8K2M4N6P8R0S2T4V6",
			time: time.Unix(1796138934, 5e8).UTC(), start: time.Unix(1796138934, 498766000).UTC()},
		{name: "nginx JSON, quoted request_time", line: `{"time_local":"01/Dec/2026:15:28:49 +0000","request":"GET /a?b=c HTTP/1.1","status":"404","request_time":"0.250"}`,
			ok: true, method: "GET", target: "/a?b=c", status: 404, dur: ms(250), hasDur: true, time: utc("2026-12-01T15:28:49Z"), start: utc("2026-12-01T15:28:48.75Z")},
		{name: "logrus text", line: `time="2026-12-01T15:28:49Z" level=info msg="handled" method=GET path=/x status=200 latency=1.5ms`,
			ok: true, method: "GET", target: "/x", status: 200, dur: ms(1.5), hasDur: true, time: utc("2026-12-01T15:28:49Z"), start: utc("2026-12-01T15:28:48.9985Z")},
		{name: "JSON route key", line: `{"method":"GET","path":"/orders/9","route":"/orders/{id}","status":200,"duration_ms":12}`,
			ok: true, method: "GET", target: "/orders/9", status: 200, dur: ms(12), hasDur: true},
		{name: "Apache probe", line: `127.0.0.1 - - [01/Dec/2026:15:28:51 +0000] "-" 408 - "-" "-"`},
		{name: "nginx probe", line: `127.0.0.1 - - [01/Dec/2026:15:28:49 +0000] "" 400 0 "-" "-"`},
		{name: "Rails request line", line: `Started GET "/orders" for 127.0.0.1 at 2026-12-01 15:28:49 +0000`},
		{name: "prose quoting a request", line: `Send "GET / HTTP/1.1" and wait for 200 OK`},
		{name: "folded stack", line: `main;handler;db.Query 42`},
		{name: "PostgreSQL", line: `2026-12-01 15:28:49.123 UTC [123] LOG:  duration: 0.050 ms  statement: SELECT 1`},
		{name: "JSON app log", line: `{"level":"info","msg":"cache warmed","entries":12}`},
		{name: "uvicorn startup", line: `INFO:     Started server process [18684]`},
		{name: "empty", line: ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, ok := accesslog.ParseLine([]byte(tc.line))
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, rec)
			}
			if !ok {
				return
			}
			if rec.Method != tc.method || rec.Target != tc.target || rec.Status != tc.status {
				t.Errorf("got %s %s %d, want %s %s %d", rec.Method, rec.Target, rec.Status, tc.method, tc.target, tc.status)
			}
			if rec.HasDuration != tc.hasDur || rec.Duration != tc.dur {
				t.Errorf("duration %v (%v), want %v (%v)", rec.Duration, rec.HasDuration, tc.dur, tc.hasDur)
			}
			if rec.RequestID != tc.id {
				t.Errorf("request id %q, want %q", rec.RequestID, tc.id)
			}
			if !rec.Time.Equal(tc.time) || !rec.Start().Equal(tc.start) {
				t.Errorf("time %v start %v, want %v %v", rec.Time, rec.Start(), tc.time, tc.start)
			}
		})
	}
}

// ReadMessage: the messages of access loggers' records in a Python log.
func TestReadMessage(t *testing.T) {
	logged := time.Date(2026, 12, 1, 15, 29, 2, 500e6, time.UTC)
	for _, tc := range []struct {
		msg       string
		ok        bool
		url       string
		status    int
		dur       time.Duration
		start     time.Time
		noDurAttr bool
	}{
		// gunicorn.access with its default format: the message's own time.
		{`127.0.0.1 - - [01/Dec/2026:15:29:01 +0000] "GET /orders/3 HTTP/1.1" 200 24 "-" "curl/7.88.1"`, true, "/orders/3", 200, 0,
			time.Date(2026, 12, 1, 15, 29, 1, 0, time.UTC), true},
		// uvicorn.access: no time in the message, the record's stands in.
		{`127.0.0.1:54321 - "GET /x HTTP/1.1" 404`, true, "/x", 404, 0, logged, true},
		// aiohttp.access with %Tf, a traceback line after it.
		{"127.0.0.1 [01/Dec/2026:15:29:01 +0000] \"POST /orders HTTP/1.1\" 201 187 0.250000\nTraceback …", true, "/orders", 201, 250 * time.Millisecond,
			time.Date(2026, 12, 1, 15, 29, 1, 0, time.UTC), false},
		{`Started server process [18684]`, false, "", 0, 0, time.Time{}, false},
	} {
		var sp parse.Span
		ok := accesslog.ReadMessage([]byte(tc.msg), logged, &sp)
		if ok != tc.ok {
			t.Errorf("%q: ok %v", tc.msg, ok)
			continue
		}
		if !ok {
			continue
		}
		if sp.HTTPURL != tc.url || sp.HTTPStatus != tc.status || sp.Duration != tc.dur || !sp.Start.Equal(tc.start) ||
			sp.Kind != "server" || sp.Attrs[parse.AttrRecord] != parse.RecordAccessLog || (sp.Attrs[parse.AttrNoDuration] == "true") != tc.noDurAttr {
			t.Errorf("%q: %+v", tc.msg, sp)
		}
	}
}
