package trace

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"hotpath/parse"
)

// Formats are the trace and event-loop formats, in sniffing order.
func Formats() []parse.Format {
	return []parse.Format{
		{Name: "go-trace", Family: "trace", Sniff: sniffGoTrace, Decode: decodeGoTrace},
		{Name: "otlp-json", Family: "trace", Sniff: sniffOTLP, Decode: decodeOTLP},
		{Name: "jaeger-json", Family: "trace", Sniff: sniffJaeger, Decode: decodeJaeger},
		{Name: "zipkin-json", Family: "trace", Sniff: sniffZipkin, Decode: decodeZipkin},
		{Name: "chrome-trace", Family: "trace", Sniff: sniffChrome, Decode: decodeChrome},
		{Name: "asyncio-log", Family: "eventloop", Sniff: sniffAsyncio, Decode: decodeAsyncio},
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

// Normalize fills sp's normalised fields from sp.Attrs, whichever
// semantic-convention generation wrote them, and sets its category from
// kind, attributes and name. Fields already set are kept.
func Normalize(sp *parse.Span) {
	a := sp.Attrs
	set := func(dst *string, names []string) {
		if *dst == "" {
			*dst = firstAttr(a, names)
		}
	}
	set(&sp.DBStatement, attrDBStatement)
	set(&sp.DBSystem, attrDBSystem)
	set(&sp.DBOperation, attrDBOperation)
	set(&sp.HTTPMethod, attrHTTPMethod)
	set(&sp.HTTPURL, attrHTTPURL)
	if sp.HTTPURL == "" {
		if t := firstAttr(a, []string{"url.path", "http.target"}); t != "" {
			sp.HTTPURL = t
		}
	}
	set(&sp.HTTPRoute, attrHTTPRoute)
	set(&sp.ServerAddr, attrServerAddr)
	if sp.CodeFunc == "" {
		fn := firstAttr(a, attrCodeFunc)
		if ns := a["code.namespace"]; ns != "" && fn != "" && a["code.function.name"] == "" {
			fn = ns + "." + fn // old conventions split namespace and function
		}
		sp.CodeFunc = fn
	}
	set(&sp.CodeFile, attrCodeFile)
	if sp.CodeLine == 0 {
		sp.CodeLine = atoi(firstAttr(a, attrCodeLine))
	}
	if sp.HTTPStatus == 0 {
		sp.HTTPStatus = atoi(firstAttr(a, attrHTTPStatus))
	}
	if sp.ConnReused == nil {
		if v := firstAttr(a, attrConnReused); v != "" {
			if b, err := strconv.ParseBool(v); err == nil {
				sp.ConnReused = &b
			}
		}
	}
	if sp.Kind == "" {
		sp.Kind = normKind(a["span.kind"])
	}
	if sp.Status == "" {
		switch strings.ToLower(firstAttr(a, []string{"otel.status_code", "status.code"})) {
		case "error", "status_code_error", "2":
			sp.Status = "error"
		case "ok", "status_code_ok", "1":
			sp.Status = "ok"
		}
		if e := a["error"]; e != "" && e != "false" {
			sp.Status = "error"
		}
	}
	if sp.Category == "" {
		sp.Category = Categorize(sp)
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
	case sp.Attrs["file.path"] != "" || strings.HasPrefix(name, "file.") || strings.HasPrefix(name, "os.") ||
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
