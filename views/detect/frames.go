package detect

import (
	"regexp"
	"strings"
)

// frameClass is what a library frame tells about the time spent under it.
type frameClass int

const (
	classNone            frameClass = iota
	classLazyLoad                   // ORM lazy loader: a query per attribute access
	classConnect                    // a new database connection being set up
	classHTTPClientSetup            // a new HTTP client, transport, dial or TLS handshake
	classBlocking                   // a blocking call (sleep, sync socket/file/HTTP/DB)
	classLock                       // waiting on or holding a lock
)

// classRule recognises library frames by function name and/or file.
type classRule struct {
	class frameClass
	fn    *regexp.Regexp // nil: any
	file  *regexp.Regexp // nil: any
}

// classRules know the frames of the common stacks, Go and Python. Order
// matters: the first rule that matches a frame classifies it.
var classRules = []classRule{
	// ORM lazy loading.
	{classLazyLoad, regexp.MustCompile(`(_load_for_state|_emit_lazyload|LazyLoader)`), regexp.MustCompile(`sqlalchemy/orm/`)},
	{classLazyLoad, regexp.MustCompile(`^(__get__|get_object|get_queryset)$`), regexp.MustCompile(`django/db/models/fields/related_descriptors\.py`)},
	// Database connection setup.
	{classConnect, regexp.MustCompile(`^github\.com/jackc/pgx/v\d+(/pgconn)?\.(Connect|ConnectConfig|connect|ConnectWithOptions)`), nil},
	{classConnect, regexp.MustCompile(`^github\.com/jackc/pgx/v\d+/pgconn\.(Connect|ConnectConfig|connectOne|connectPreferred|connect)$`), nil},
	{classConnect, regexp.MustCompile(`^database/sql\.\(\*DB\)\.conn$`), nil},
	{classConnect, regexp.MustCompile(`^github\.com/lib/pq\.(Open|DialOpen|NewConnector)`), nil},
	{classConnect, regexp.MustCompile(`^(connect|_connect|_connect_addr|__connect|_create_ssl_connection)$`), regexp.MustCompile(`(^|/)(psycopg2|psycopg|asyncpg|pymysql|MySQLdb|aiomysql)/`)},
	{classConnect, regexp.MustCompile(`(__connect|_create_connection|_do_get|connect)$`), regexp.MustCompile(`sqlalchemy/(pool|engine)/`)},
	// HTTP client setup: new sessions/transports, dialling, TLS handshakes.
	{classHTTPClientSetup, regexp.MustCompile(`^net/http\.\(\*Transport\)\.(dialConn|dial|dialConnFor)$`), nil},
	{classHTTPClientSetup, regexp.MustCompile(`^crypto/tls\.\(\*Conn\)\.(Handshake|HandshakeContext|handshakeContext|clientHandshake)$`), nil},
	{classHTTPClientSetup, regexp.MustCompile(`^(__init__|_create_connection|_create_direct_connection|connect|_wrap_create_connection)$`), regexp.MustCompile(`aiohttp/(client|connector)\.py`)},
	{classHTTPClientSetup, regexp.MustCompile(`^(do_handshake|wrap_socket)$`), regexp.MustCompile(`ssl\.py$`)},
	// Blocking calls.
	{classBlocking, regexp.MustCompile(`^(sleep|time\.sleep)$`), nil},
	{classBlocking, nil, regexp.MustCompile(`(^|/)(requests/|urllib/request\.py|urllib3/|http/client\.py|socket\.py$)`)},
	{classBlocking, regexp.MustCompile(`^(execute|executemany|fetchall|fetchone)$`), regexp.MustCompile(`(^|/)(psycopg2|pymysql|MySQLdb|sqlite3)/`)},
	{classBlocking, regexp.MustCompile(`^(_execute|execute|executemany|_execute_with_wrappers)$`), regexp.MustCompile(`django/db/backends/utils\.py$`)},
	{classBlocking, regexp.MustCompile(`^(do_execute|do_executemany)$`), regexp.MustCompile(`sqlalchemy/engine/default\.py$`)},
	{classBlocking, regexp.MustCompile(`^(read|readline|readlines|open)$`), regexp.MustCompile(`(^|/)(_pyio|codecs)\.py$`)},
	{classBlocking, regexp.MustCompile(`^(os\.\(\*File\)\.(Read|Write|Sync)|syscall\.(Read|Write|Fsync)|time\.Sleep)$`), nil},
	// Locks (block and mutex profiles).
	{classLock, regexp.MustCompile(`^(sync\.\(\*(Mutex|RWMutex)\)\.(Lock|Unlock|RLock|RUnlock|lockSlow|unlockSlow|rUnlockSlow)|internal/sync\.\(\*Mutex\)\.(Lock|Unlock|lockSlow|unlockSlow))$`), nil},
	{classLock, regexp.MustCompile(`^(acquire|__enter__)$`), regexp.MustCompile(`threading\.py$`)},
}

func classify(f funcFrame) frameClass {
	for _, r := range classRules {
		if r.fn != nil && !r.fn.MatchString(f.name) {
			continue
		}
		if r.file != nil && !r.file.MatchString(f.file) {
			continue
		}
		return r.class
	}
	return classNone
}

// funcFrame is a profile frame as detectors see it.
type funcFrame struct {
	name, file string
	line       int
}

// key is the frame without its line, as sites aggregate: the function,
// Go closures folded into the function that writes them (a sort
// comparator, a deferred call are the enclosing function's work).
func (f funcFrame) key() funcFrame { return funcFrame{name: enclosingFunc(f.name), file: f.file} }

// goClosure matches the suffixes the Go compiler gives closures and
// wrappers: ".func1", ".func2.3", ".gowrap1", ".deferwrap1".
var goClosure = regexp.MustCompile(`(\.(func|gowrap|deferwrap)\d+)+(\.\d+)*$`)

func enclosingFunc(name string) string {
	if !strings.Contains(name, ".func") && !strings.Contains(name, "wrap") {
		return name
	}
	return goClosure.ReplaceAllString(name, "")
}

// goLibraryPrefixes are third-party Go module paths treated as libraries.
var goLibraryPrefixes = []string{"github.com/jackc/", "github.com/lib/pq", "gorm.io/", "go.opentelemetry.io/",
	"golang.org/x/", "google.golang.org/", "github.com/go-sql-driver/", "github.com/charmbracelet/"}

// isApplication tells the service's own frames from runtime, standard
// library and third-party ones: the call site of a problem is the
// application frame nearest above the library frame that shows it.
func isApplication(f funcFrame) bool {
	if f.name == "" || f.name == "?" || strings.HasPrefix(f.name, "0x") {
		return false
	}
	if strings.Contains(f.file, ".py") || strings.HasPrefix(f.file, "<frozen") {
		// A wrapper that patches a library to observe it is the library's
		// (rule 4): its frame sits between the program and the call.
		return !pythonLibraryFile(f.file) && !isWrapperFrame(f.name, f.file)
	}
	if strings.Contains(f.file, "/usr/local/go/src/") || strings.Contains(f.file, "/go/pkg/mod/") {
		return false
	}
	name := f.name
	if strings.HasPrefix(name, "main.") {
		return true
	}
	for _, p := range goLibraryPrefixes {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	// Go standard library: the import path's first element has no dot
	// ("net/http.(*Client).Do", "runtime.mallocgc").
	path := name
	if i := strings.LastIndex(path, "/"); i >= 0 {
		if j := strings.Index(path[i:], "."); j >= 0 {
			path = path[:i+j]
		}
	} else if j := strings.Index(path, "."); j >= 0 {
		path = path[:j]
	}
	first := path
	if i := strings.Index(first, "/"); i >= 0 {
		first = first[:i]
	}
	return strings.Contains(first, ".")
}

// isEntryPoint is a frame at the root of every stack: never a useful
// hotspot of its own.
func isEntryPoint(f funcFrame) bool {
	return f.name == "<module>" || f.name == "main.main" || f.name == "runtime.main"
}

// isIdle reports a leaf frame that waits for work rather than doing it: an
// event loop's select, a thread parked on a condition.
func isIdle(f funcFrame) bool {
	switch {
	case strings.HasSuffix(f.file, "selectors.py") && (f.name == "select" || f.name == "poll"):
		return true
	case strings.HasSuffix(f.file, "threading.py") && f.name == "wait":
		return true
	case f.name == "runtime.gopark" || f.name == "runtime.netpoll" || f.name == "runtime.futex" || f.name == "runtime.usleep":
		return true
	}
	return false
}

// onEventLoop reports whether a stack (leaf first) runs inside asyncio's
// event loop, where a blocking call stalls every other task.
func onEventLoop(frames []funcFrame) bool {
	for _, f := range frames {
		if (f.name == "_run_once" || f.name == "run_forever" || f.name == "_run") && strings.Contains(f.file, "asyncio/") {
			return true
		}
	}
	return false
}

// wrapperFiles and wrapperFuncs recognise code that patches a library to
// observe it (OpenTelemetry's and APM agents' instrumentation, wrapt,
// hand-written monkey patches): its frames sit between the program and the
// library it wraps, and are not call sites (rule 4 of the detection model).
var (
	wrapperFiles = regexp.MustCompile(`(^|/)(opentelemetry|wrapt|ddtrace|newrelic|elasticapm|sentry_sdk|scout_apm)/|(^|/)(instrument\w*|instrumentation\w*|\w*_instrument\w*|monkey\w*|\w*_patch(es)?|patch(es|ing)?|sitecustomize)\.py$`)
	wrapperFuncs = regexp.MustCompile(`^(wrapper|_wrapper|wrapped|_wrapped|__wrapped__|traced_\w+|_traced_\w+|patched_\w+|_patched_\w+|_instrumented_\w+|instrumented_\w+|new_init|_new_init|wrapped_init|_wrapped_init|_wrap_\w+)$`)
)

func isWrapperFrame(fn, file string) bool {
	return wrapperFiles.MatchString(file) || wrapperFuncs.MatchString(fn)
}
