package traces

import (
	"strings"

	"hotpath/parse"
)

// RouteOf is the route a request is grouped under, the same rule for
// every source so that access-log requests and spans of one endpoint meet
// under one name: the route only, never the method (GET and POST /orders
// are one route, as http.route has it).
//
//   - the span's http.route as the framework named it, less a method
//     prefix ("GET /orders/{id}", Go 1.22 ServeMux patterns) and a query;
//   - else, for a server span, the templated path of its URL (url.path,
//     http.target, the path of url.full / http.url, an access log's
//     logged path): TemplatePath;
//   - else, for a name "METHOD /path" (the OTel HTTP span name without a
//     route, an access-log span's name), the templated path;
//   - else the span name (a job, a consumer, a CLI command).
func RouteOf(sp *parse.Span) string {
	if r := sp.HTTPRoute; r != "" {
		_, r = splitMethod(r)
		if i := strings.IndexAny(r, "?#"); i >= 0 {
			r = r[:i]
		}
		if r != "" {
			return r
		}
	}
	if sp.Category == parse.CatHTTPServer || sp.Kind == "server" {
		for _, k := range []string{"url.path", "http.target"} {
			if p := sp.Attrs[k]; p != "" && p[0] == '/' {
				return TemplatePath(p)
			}
		}
		if u := sp.HTTPURL; u != "" && (u[0] == '/' || strings.Contains(u, "://")) {
			return TemplatePath(u)
		}
	}
	if m, p := splitMethod(sp.Name); m != "" && p != "" && p[0] == '/' {
		return TemplatePath(p)
	}
	return sp.Name
}

// MethodOf is a request root's HTTP method: the span's, else the one its
// http.route or name starts with ("GET /orders/{id}", as Go's ServeMux
// patterns and runtime/trace task names write it).
func MethodOf(sp *parse.Span) string {
	if sp.HTTPMethod != "" {
		return strings.ToUpper(sp.HTTPMethod)
	}
	for _, s := range []string{sp.HTTPRoute, sp.Name} {
		if m, rest := splitMethod(s); m != "" && strings.HasPrefix(rest, "/") {
			return m
		}
	}
	return ""
}

// splitMethod splits "GET /orders" into its method and the rest; method is
// "" when s does not start with an upper-case word and a space.
func splitMethod(s string) (method, rest string) {
	i := strings.IndexByte(s, ' ')
	if i < 3 || i > 10 {
		return "", s
	}
	for j := 0; j < i; j++ {
		if c := s[j]; c < 'A' || c > 'Z' {
			return "", s
		}
	}
	return s[:i], strings.TrimLeft(s[i+1:], " ")
}

// TemplatePath turns a logged path into a route: the scheme, host, query
// and fragment are dropped, and every segment that is an id is replaced —
// "{id}" for numbers and mixed ids, "{uuid}" for UUIDs, "{hash}" for long
// hex strings — so that /orders/123?x=1 and /orders/456 are one route,
// /orders/{id}. Words stay: /v2/users, /oauth2/token, /static/app.css.
func TemplatePath(p string) string {
	if i := strings.Index(p, "://"); i >= 0 {
		p = p[i+3:]
		if j := strings.IndexByte(p, '/'); j >= 0 {
			p = p[j:]
		} else {
			p = "/"
		}
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	changed := false
	for i, s := range segs {
		if t := templateSegment(s); t != s {
			segs[i], changed = t, true
		}
	}
	if !changed {
		return p
	}
	return strings.Join(segs, "/")
}

// templateSegment replaces one path segment that is an id.
//   - digits only (123) → {id}
//   - a UUID (8-4-4-4-12 hex) → {uuid}
//   - 16 or more hex digits with a digit in them (md5, sha1, ObjectId) → {hash}
//   - letters and digits mixed like an id: a run of 4 or more digits
//     (sku_48213, ord-20240917), or letters and digits alternating three
//     times or more (x7k2m9q4, a1b2c3), or 20 characters or more of
//     letters and digits (tokens) → {id}
//
// A word with a short number stays (v2, oauth2, base64, sha256, x86_64).
func templateSegment(s string) string {
	if s == "" || len(s) > 256 {
		return s
	}
	digits, letters, other, hex := 0, 0, 0, 0
	run, maxRun, switches := 0, 0, 0
	var prev byte // 'd' digit, 'l' letter
	for i := 0; i < len(s); i++ {
		c := s[i]
		var cls byte
		switch {
		case c >= '0' && c <= '9':
			digits++
			hex++
			cls = 'd'
			run++
			maxRun = max(maxRun, run)
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters++
			if c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' {
				hex++
			}
			cls = 'l'
			run = 0
		case c == '-' || c == '_' || c == '.' || c == '~' || c == '%' || c == '+' || c == ':' || c == '@' || c == ',' || c == '=':
			other++
			run = 0
		default:
			return s // not an id we know (a word in another script …)
		}
		if cls != 0 {
			if prev != 0 && cls != prev {
				switches++
			}
			prev = cls
		}
	}
	switch {
	case digits == 0:
		return s
	case letters == 0 && other == 0:
		return "{id}"
	case isUUID(s):
		return "{uuid}"
	case other == 0 && hex == len(s) && len(s) >= 16:
		return "{hash}"
	case letters > 0 && (maxRun >= 4 || switches >= 4 || letters+digits >= 20 && switches >= 2):
		return "{id}"
	}
	return s
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
