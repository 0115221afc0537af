package traces

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"hotpath/parse"
	"hotpath/parse/accesslog"
	ptrace "hotpath/parse/trace"
)

func TestTemplatePath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/orders/123", "/orders/{id}"},
		{"/orders/123?expand=items", "/orders/{id}"},
		{"/orders", "/orders"},
		{"/orders/", "/orders/"},
		{"", "/"},
		{"/?q=1", "/"},
		{"http://127.0.0.1:54379/items/x7k2m9q4?a=b", "/items/{id}"},
		{"https://shop.example", "/"},
		{"/users/3cb74cf8-2fe6-4690-a417-bd9198cd8ce3/profile", "/users/{uuid}/profile"},
		{"/files/4c1b0e5fbd2c4f0c61ee3a3bb8ad4e1e8b1f03ab", "/files/{hash}"},
		{"/objects/507f1f77bcf86cd799439011", "/objects/{hash}"},
		{"/items/sku_48213", "/items/{id}"},
		{"/items/ord-20240917", "/items/{id}"},
		{"/items/a1b2c3d4e5", "/items/{id}"},
		{"/watch/dQw4w9WgXcQ", "/watch/{id}"},
		{"/reset/eyJhbGciOiJIUzI1NiJ9abc", "/reset/{id}"},
		{"/orders/12/items/7", "/orders/{id}/items/{id}"},
		// Words with a number stay.
		{"/v2/users", "/v2/users"},
		{"/oauth2/token", "/oauth2/token"},
		{"/api/base64/sha256", "/api/base64/sha256"},
		{"/dist/x86_64/h264", "/dist/x86_64/h264"},
		{"/static/jquery-3.6.0.min.js", "/static/jquery-3.6.0.min.js"},
		{"/e2e/2fa", "/e2e/2fa"},
		{"/users/bob@example.com", "/users/bob@example.com"},
		{"/deadbeefdeadbeef", "/deadbeefdeadbeef"}, // hex letters only: a word
	} {
		if got := TemplatePath(tc.in); got != tc.want {
			t.Errorf("TemplatePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// One rule for every source: a span with http.route keeps it, one without
// is named by its templated path, whatever the name says.
func TestRouteOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		sp   parse.Span
		want string
	}{
		{"route", parse.Span{Name: "GET /orders/{id}", HTTPRoute: "/orders/{id}", Category: parse.CatHTTPServer}, "/orders/{id}"},
		{"ServeMux pattern", parse.Span{Name: "GET", HTTPRoute: "GET /orders/{id}", Category: parse.CatHTTPServer}, "/orders/{id}"},
		{"name with method, route", parse.Span{Name: "GET /orders", HTTPRoute: "/orders"}, "/orders"},
		{"name with method, no route", parse.Span{Name: "GET /orders", Kind: "server"}, "/orders"},
		{"name with method and id", parse.Span{Name: "POST /orders/42/pay"}, "/orders/{id}/pay"},
		{"server span, url only", parse.Span{Name: "HTTP GET", Kind: "server", HTTPURL: "http://h/orders/7?x=1"}, "/orders/{id}"},
		{"server span, url.path", parse.Span{Name: "GET", Kind: "server", Attrs: map[string]string{"url.path": "/orders/7"}}, "/orders/{id}"},
		{"access-log span", *(&accesslog.Record{Method: "GET", Target: "/orders/466?expand=items", Status: 200}).Span(), "/orders/{id}"},
		{"client root keeps its name", parse.Span{Name: "HTTP GET", Kind: "client", HTTPURL: "https://api/rates/7"}, "HTTP GET"},
		{"job", parse.Span{Name: "nightly-report"}, "nightly-report"},
	} {
		if got := RouteOf(&tc.sp); got != tc.want {
			t.Errorf("%s: RouteOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}

const accessDir = "../../testdata/accesslog"

// The per-route table of every recorded access log: each route the
// recorder's client sent, with as many requests as it sent and as grep
// finds in the raw log.
func TestRoutesFromAccessLogs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(accessDir, "requests.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		sent[strings.Split(l, "\t")[2]]++
	}
	// What a user would grep for each route, written from the client's
	// request list, not from TemplatePath.
	routeRE := map[string]string{
		"/orders/{id}": `/orders/[0-9]+`, "/orders": `/orders`, "/users/{uuid}/profile": `/users/[0-9a-f-]{36}/profile`,
		"/files/{hash}": `/files/[0-9a-f]{40}`, "/items/{id}": `/items/[a-z0-9_-]+`, "/search": `/search`,
		"/slow/{id}": `/slow/[0-9]+`, "/error": `/error`, "/nope/{id}": `/nope/[0-9]+`,
	}
	if len(routeRE) != len(sent) {
		t.Fatalf("the client sent routes %v", sent)
	}
	// Where each layout writes the path.
	field := func(file string) (before, after string) {
		switch {
		case strings.HasPrefix(file, "chi"):
			return `"(GET|POST) http://[^/ ]+`, `[ ?]`
		case file == "nginx.jsonl":
			return `"request_uri":"`, `[?"]`
		case file == "caddy.jsonl":
			return `"uri":"`, `[?"]`
		case file == "go-slog.jsonl":
			return `"path":"`, `[?"]`
		case file == "go-slog.logfmt":
			return `path="?`, `[ ?"]`
		}
		return `"(GET|POST) `, `[ ?]`
	}
	if _, err := exec.LookPath("grep"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("grep is needed to check the routes independently: %v", err)
		}
		t.Skipf("grep not installed: %v", err)
	}
	logs, _ := filepath.Glob(filepath.Join(accessDir, "out", "*"))
	if len(logs) < 20 {
		t.Fatalf("%d recorded logs", len(logs))
	}
	for _, f := range logs {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			sink := &spanSink{}
			in := parse.Expand([]string{f}, nil)[0]
			if err := parse.Load(context.Background(), in, accesslog.Formats(), sink, parse.Options{}); err != nil {
				t.Fatal(err)
			}
			reqs := AllRequests(Group(sink.spans))
			if len(reqs) != len(sink.spans) {
				t.Fatalf("%d requests from %d access-log spans: each is a request", len(reqs), len(sink.spans))
			}
			got := map[string]int{}
			for _, r := range Routes(reqs) {
				got[r.Route] = r.Count
			}
			if fmt.Sprint(got) != fmt.Sprint(sent) {
				t.Errorf("routes %v, the client sent %v", got, sent)
			}
			before, after := field(name)
			for route, re := range routeRE {
				out, _ := exec.Command("grep", "-cE", before+re+after, f).Output()
				var n int
				fmt.Sscan(string(out), &n)
				if got[route] != n {
					t.Errorf("%s: %d requests, grep counts %d", route, got[route], n)
				}
			}
		})
	}
}

// Spans and access-log records of one endpoint meet under one route.
func TestRoutesAcrossSources(t *testing.T) {
	sink := &spanSink{}
	for _, p := range []string{"../../testdata/trace/otlp.jsonl", filepath.Join(accessDir, "out", "nginx-timed.log")} {
		in := parse.Expand([]string{p}, nil)[0]
		if err := parse.Load(context.Background(), in, append(ptrace.Formats(), accesslog.Formats()...), sink, parse.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	var orders *RouteStat
	routes := Routes(AllRequests(Group(sink.spans)))
	for i := range routes {
		if routes[i].Route == "/orders/{id}" {
			orders = &routes[i]
		}
	}
	// 10 traced requests (TestRequestsFromOTLP) + 14 logged ones
	// (requests.tsv: 12 /orders/N and 2 /orders/N?expand=items).
	if orders == nil || orders.Count != 24 {
		t.Fatalf("/orders/{id}: %+v", orders)
	}
}

// The method a route no longer carries is the request's.
func TestMethodOf(t *testing.T) {
	for _, tc := range []struct {
		sp   parse.Span
		want string
	}{
		{parse.Span{HTTPMethod: "post", Name: "x"}, "POST"},
		{parse.Span{HTTPRoute: "GET /orders/{id}"}, "GET"},
		{parse.Span{Name: "DELETE /orders/7"}, "DELETE"}, // a runtime/trace task, an access-log span
		{parse.Span{Name: "SELECT orders"}, ""},
		{parse.Span{Name: "nightly-report"}, ""},
	} {
		if got := MethodOf(&tc.sp); got != tc.want {
			t.Errorf("MethodOf(%+v) = %q, want %q", tc.sp, got, tc.want)
		}
	}
}
