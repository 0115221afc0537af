package trace

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"hotpath/parse"
)

// Formats are the trace formats, in sniffing order. (asyncio's event-loop
// warnings come in Python application logs: package parse/applog.)
func Formats() []parse.Format {
	return []parse.Format{
		{Name: "go-trace", Family: "trace", Sniff: sniffGoTrace, Decode: decodeGoTrace},
		{Name: "otlp-json", Family: "trace", Sniff: sniffOTLP, Decode: decodeOTLP},
		{Name: "jaeger-json", Family: "trace", Sniff: sniffJaeger, Decode: decodeJaeger},
		{Name: "zipkin-json", Family: "trace", Sniff: sniffZipkin, Decode: decodeZipkin},
		{Name: "chrome-trace", Family: "trace", Sniff: sniffChrome, Decode: decodeChrome},
		{Name: "v8-cpuprofile", Family: "profile", Sniff: sniffCPUProfile, Decode: decodeCPUProfile},
	}
}

type peeker interface {
	io.Reader
	Peek(int) ([]byte, error)
}

func asPeeker(r io.Reader) peeker {
	if p, ok := r.(peeker); ok {
		return p
	}
	return bufio.NewReaderSize(r, 64<<10)
}

// Attribute names, newest semantic-convention generation first.
var (
	attrDBStatement = []string{"db.query.text", "db.statement"}
	attrDBSystem    = []string{"db.system.name", "db.system"}
	attrDBOperation = []string{"db.operation.name", "db.operation"}
	attrHTTPMethod  = []string{"http.request.method", "http.method"}
	attrHTTPURL     = []string{"url.full", "http.url"}
	attrHTTPRoute   = []string{"http.route"}
	attrHTTPStatus  = []string{"http.response.status_code", "http.status_code"}
	attrServerAddr  = []string{"server.address", "net.peer.name", "net.host.name", "http.host"}
	attrCodeFunc    = []string{"code.function.name", "code.function"}
	attrCodeFile    = []string{"code.file.path", "code.filepath"}
	attrCodeLine    = []string{"code.line.number", "code.lineno"}
	attrConnReused  = []string{"http.conn.reused", "net.conn.reused"}
)

func firstAttr(a map[string]string, names []string) string {
	for _, n := range names {
		if v, ok := a[n]; ok && v != "" {
			return v
		}
	}
	return ""
}

// knownAttrs numbers every attribute Normalize and Categorize read, so
// one pass over a span's attributes finds them all (a span has a handful
// of attributes; the names looked for are many).
var knownAttrs = func() map[string]int {
	m := map[string]int{}
	for _, list := range [][]string{attrDBStatement, attrDBSystem, attrDBOperation, attrHTTPMethod, attrHTTPURL,
		{"url.path", "http.target"}, attrHTTPRoute, attrHTTPStatus, attrServerAddr, attrCodeFunc, attrCodeFile,
		attrCodeLine, attrConnReused, {"code.namespace", "span.kind", "otel.status_code", "status.code", "error", "file.path"}} {
		for _, n := range list {
			if _, ok := m[n]; !ok {
				m[n] = len(m)
			}
		}
	}
	return m
}()

// knownAttrIndex is knownAttrs[name] as a switch (no hashing), -1 for
// other names.
func knownAttrIndex(name string) int {
	switch name {
	case "db.query.text":
		return 0
	case "db.statement":
		return 1
	case "db.system.name":
		return 2
	case "db.system":
		return 3
	case "db.operation.name":
		return 4
	case "db.operation":
		return 5
	case "http.request.method":
		return 6
	case "http.method":
		return 7
	case "url.full":
		return 8
	case "http.url":
		return 9
	case "url.path":
		return 10
	case "http.target":
		return 11
	case "http.route":
		return 12
	case "http.response.status_code":
		return 13
	case "http.status_code":
		return 14
	case "server.address":
		return 15
	case "net.peer.name":
		return 16
	case "net.host.name":
		return 17
	case "http.host":
		return 18
	case "code.function.name":
		return 19
	case "code.function":
		return 20
	case "code.file.path":
		return 21
	case "code.filepath":
		return 22
	case "code.line.number":
		return 23
	case "code.lineno":
		return 24
	case "http.conn.reused":
		return 25
	case "net.conn.reused":
		return 26
	case "code.namespace":
		return 27
	case "span.kind":
		return 28
	case "otel.status_code":
		return 29
	case "status.code":
		return 30
	case "error":
		return 31
	case "file.path":
		return 32
	}
	return -1
}

// maxKnownAttrs bounds knownAttrs (checked at init).
const maxKnownAttrs = 40

func init() {
	if len(knownAttrs) > maxKnownAttrs {
		panic("trace: raise maxKnownAttrs")
	}
	for n, i := range knownAttrs {
		if knownAttrIndex(n) != i {
			panic("trace: knownAttrIndex out of step with knownAttrs: " + n)
		}
	}
}

// attrView is a span's known attributes, found in one pass.
type attrView struct{ vals [maxKnownAttrs]string }

// Index lists of the attribute name groups, newest name first.
var (
	gDBStatement, gDBSystem, gDBOperation, gHTTPMethod, gHTTPURL, gURLPath, gHTTPRoute, gHTTPStatus,
	gServerAddr, gCodeFunc, gCodeFile, gCodeLine, gConnReused, gStatus []int
	iCodeNamespace, iCodeFunctionName, iSpanKind, iError, iFilePath int
)

func init() {
	g := func(names ...string) []int {
		out := make([]int, len(names))
		for i, n := range names {
			out[i] = knownAttrIndex(n)
		}
		return out
	}
	gDBStatement, gDBSystem, gDBOperation = g(attrDBStatement...), g(attrDBSystem...), g(attrDBOperation...)
	gHTTPMethod, gHTTPURL, gURLPath = g(attrHTTPMethod...), g(attrHTTPURL...), g("url.path", "http.target")
	gHTTPRoute, gHTTPStatus, gServerAddr = g(attrHTTPRoute...), g(attrHTTPStatus...), g(attrServerAddr...)
	gCodeFunc, gCodeFile, gCodeLine = g(attrCodeFunc...), g(attrCodeFile...), g(attrCodeLine...)
	gConnReused, gStatus = g(attrConnReused...), g("otel.status_code", "status.code")
	iCodeNamespace, iCodeFunctionName = knownAttrIndex("code.namespace"), knownAttrIndex("code.function.name")
	iSpanKind, iError, iFilePath = knownAttrIndex("span.kind"), knownAttrIndex("error"), knownAttrIndex("file.path")
}

// firstOf is the first non-empty value of a group.
func (v *attrView) firstOf(ids []int) string {
	for _, i := range ids {
		if s := v.vals[i]; s != "" {
			return s
		}
	}
	return ""
}

func viewAttrs(a map[string]string) *attrView {
	v := new(attrView)
	for k, val := range a {
		if i := knownAttrIndex(k); i >= 0 {
			v.vals[i] = val
		}
	}
	return v
}

// Normalize fills sp's normalised fields from sp.Attrs, whichever
// semantic-convention generation wrote them, and sets its category from
// kind, attributes and name. Fields already set are kept.
func Normalize(sp *parse.Span) { normalize(sp, viewAttrs(sp.Attrs)) }

func normalize(sp *parse.Span, a *attrView) {
	set := func(dst *string, ids []int) {
		if *dst == "" {
			*dst = a.firstOf(ids)
		}
	}
	set(&sp.DBStatement, gDBStatement)
	set(&sp.DBSystem, gDBSystem)
	set(&sp.DBOperation, gDBOperation)
	set(&sp.HTTPMethod, gHTTPMethod)
	set(&sp.HTTPURL, gHTTPURL)
	if sp.HTTPURL == "" {
		if t := a.firstOf(gURLPath); t != "" {
			sp.HTTPURL = t
		}
	}
	set(&sp.HTTPRoute, gHTTPRoute)
	set(&sp.ServerAddr, gServerAddr)
	if sp.CodeFunc == "" {
		fn := a.firstOf(gCodeFunc)
		if ns := a.vals[iCodeNamespace]; ns != "" && fn != "" && a.vals[iCodeFunctionName] == "" {
			fn = ns + "." + fn // old conventions split namespace and function
		}
		sp.CodeFunc = fn
	}
	set(&sp.CodeFile, gCodeFile)
	if sp.CodeLine == 0 {
		sp.CodeLine = atoi(a.firstOf(gCodeLine))
	}
	if sp.HTTPStatus == 0 {
		sp.HTTPStatus = atoi(a.firstOf(gHTTPStatus))
	}
	if sp.ConnReused == nil {
		if v := a.firstOf(gConnReused); v != "" {
			if b, err := strconv.ParseBool(v); err == nil {
				sp.ConnReused = &b
			}
		}
	}
	if sp.Kind == "" {
		sp.Kind = normKind(a.vals[iSpanKind])
	}
	if sp.Status == "" {
		switch strings.ToLower(a.firstOf(gStatus)) {
		case "error", "status_code_error", "2":
			sp.Status = "error"
		case "ok", "status_code_ok", "1":
			sp.Status = "ok"
		}
		if e := a.vals[iError]; e != "" && e != "false" {
			sp.Status = "error"
		}
	}
	if sp.Category == "" {
		sp.Category = categorize(sp, a.vals[iFilePath] != "")
	}
}

// normKind maps the many spellings of span kind to server, client,
// internal, producer, consumer.
func normKind(k string) string {
	k = strings.ToLower(k)
	k = strings.TrimPrefix(k, "span_kind_")
	switch k {
	case "server", "client", "internal", "producer", "consumer":
		return k
	case "1":
		return "internal"
	case "2":
		return "server"
	case "3":
		return "client"
	case "4":
		return "producer"
	case "5":
		return "consumer"
	}
	return ""
}

// Categorize decides what a span waited on.
func Categorize(sp *parse.Span) parse.SpanCategory {
	return categorize(sp, sp.Attrs["file.path"] != "")
}

func categorize(sp *parse.Span, hasFilePath bool) parse.SpanCategory {
	name := strings.ToLower(sp.Name)
	// otelhttptrace's phase spans, and the like from other instrumentations.
	switch name {
	case "http.connect", "connect", "net.dial", "dial", "http.getconn", "tcp.connect":
		return parse.CatConnect
	case "http.dns", "dns", "dns.lookup", "net.resolve", "getaddrinfo":
		return parse.CatDNS
	case "http.tls", "tls", "tls.handshake", "ssl.handshake":
		return parse.CatTLS
	}
	if sp.DBStatement != "" || sp.DBSystem != "" || sp.DBOperation != "" {
		if strings.Contains(name, "connect") {
			return parse.CatConnect
		}
		return parse.CatDB
	}
	httpish := sp.HTTPMethod != "" || sp.HTTPRoute != "" || sp.HTTPURL != "" || sp.HTTPStatus != 0
	switch sp.Kind {
	case "server":
		return parse.CatHTTPServer
	case "client":
		if httpish {
			return parse.CatHTTPClient
		}
	}
	switch {
	case strings.HasPrefix(name, "dns") || strings.Contains(name, "dns lookup") || strings.Contains(name, "resolve host"):
		return parse.CatDNS
	case strings.Contains(name, "tls") || strings.Contains(name, "handshake"):
		return parse.CatTLS
	case strings.Contains(name, "connect") || strings.HasPrefix(name, "dial"):
		return parse.CatConnect
	case strings.Contains(name, "mutex") || strings.Contains(name, "lock"):
		return parse.CatLock
	case hasFilePath || strings.HasPrefix(name, "file.") || strings.HasPrefix(name, "os.") ||
		strings.Contains(name, "read file") || strings.Contains(name, "write file"):
		return parse.CatFileIO
	}
	if httpish {
		if sp.Kind == "client" || sp.HTTPURL != "" && sp.HTTPRoute == "" && sp.Kind != "internal" {
			return parse.CatHTTPClient
		}
		if sp.HTTPRoute != "" {
			return parse.CatHTTPServer
		}
	}
	return parse.CatInternal
}

// atoi reads a decimal int, 0 when s is empty or not a number.
func atoi(s string) int {
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}
