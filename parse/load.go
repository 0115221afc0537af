package parse

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"
)

// SniffSize is how many decompressed bytes a format sees to recognise itself.
const SniffSize = 64 << 10

// Format is one input format: it recognises its content and decodes it.
type Format struct {
	Name   string // as reported in the JSON report: "pprof", "postgres-stderr" …
	Family string // "profile", "sql", "trace", "eventloop", "access" or "applog" (records of several)
	// Sniff reports whether head (the first SniffSize decompressed bytes, or
	// fewer for a short input) is this format.
	Sniff func(head []byte) bool
	// Decode reads the whole input, reporting into src and sink. It returns
	// an error only when nothing useful could be read; recoverable problems
	// are counted with src.SkipLine or src.Warnf.
	Decode func(ctx context.Context, r io.Reader, src *Source, sink Sink, opt Options) error
	// GivesBack says Decode may return ErrNotThisFormat: Load then keeps
	// the first ReplayLimit bytes Decode reads, to hand them to the next
	// format. (A decoder without it that gives an input back costs a
	// reopen, or an error for a stream.)
	GivesBack bool
}

// Options tune decoding. The zero value is usable.
type Options struct {
	// MaxWholeInput caps how many decompressed bytes a non-streaming format
	// (pprof, JSON documents) may read into memory. 0 means 1 GiB.
	MaxWholeInput int64
	// HTTPTimeout bounds a URL fetch. 0 means the profile duration asked for
	// in the URL plus 30 s, or 60 s.
	HTTPTimeout time.Duration
	// MaxHTTPBody caps a URL response. 0 means 512 MiB.
	MaxHTTPBody int64
	// IdleTimeout bounds how long a stream input (a FIFO, a device, a
	// socket, stdin from a pipe or a terminal) may deliver nothing, before
	// it opens and between reads. 0 means DefaultIdleTimeout; negative
	// means no limit.
	IdleTimeout time.Duration
	// LogLinePrefix is PostgreSQL's log_line_prefix; "" means infer it.
	LogLinePrefix string
	// AccessLogDurationUnit is the unit of an access log's durations when
	// the numbers carry none (Apache %D is µs, %{ms}T ms, %T s); 0 means
	// infer it from the first lines.
	AccessLogDurationUnit time.Duration
	// Budget is the run's memory budget, shared by every load (nil: none).
	// Whole documents count their decompressed bytes against it while they
	// are decoded; what decoders keep (profiles, interned stacks) counts
	// for the rest of the run.
	Budget *Budget

	led *ledger // this load's account with Budget (set by Load and Peek)
}

func (o Options) maxWhole() int64 {
	if o.MaxWholeInput > 0 {
		return o.MaxWholeInput
	}
	return 1 << 30
}

// ReadWhole reads r into memory for formats that need the whole document,
// refusing inputs larger than the configured cap, or than what is left of
// the memory budget, rather than exhausting memory. The bytes count against
// the budget until the load that called it returns.
func ReadWhole(r io.Reader, opt Options) ([]byte, error) {
	return readWhole(r, opt, opt.account())
}

// wholeChunkMax is the largest piece readWhole reads at once.
const wholeChunkMax = 64 << 20

// readWhole reads into pieces that grow to wholeChunkMax, reserving each
// before allocating it, and joins them once at the end: a document of n
// bytes costs n while it is read (io.ReadAll's doubling costs up to 2.25 n,
// a refused one as much) and 2 n for the moment of the join.
func readWhole(r io.Reader, opt Options, led *ledger) ([]byte, error) {
	max := opt.maxWhole()
	var chunks [][]byte
	var total, held int64
	size := int64(64 << 10)
	fail := func(err error) ([]byte, error) {
		led.release(held, false)
		return nil, err
	}
	for {
		n := min(size, max+1-total)
		if err := led.reserve(n, false); err != nil {
			return fail(fmt.Errorf("reading the document (%s so far) %w", mib(total), err))
		}
		held += n
		buf := make([]byte, n)
		got, err := io.ReadFull(r, buf)
		chunks = append(chunks, buf[:got])
		total += int64(got)
		if total > max {
			return fail(fmt.Errorf("input is larger than %d bytes, the limit for this format (raise it with -max-input)", max))
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		size = min(size*2, wholeChunkMax)
	}
	if len(chunks) == 1 {
		return chunks[0], nil // at most the first 64 KiB piece
	}
	if err := led.reserve(total, false); err != nil {
		return fail(fmt.Errorf("joining the document (%s) %w", mib(total), err))
	}
	data := make([]byte, 0, total)
	for i, c := range chunks {
		data = append(data, c...)
		chunks[i] = nil
	}
	led.release(held, false) // the pieces are garbage now
	return data, nil
}

// Input is one thing to load: a file, stdin or a URL. Directories are
// expanded into one Input per file by Expand.
type Input struct {
	Src  *Source
	open func(ctx context.Context, opt Options) (io.ReadCloser, error)
	// reopenable inputs (files, in-memory data) can be read twice: once
	// by Peek, once by Load, or again after a give-back. Stdin, URLs and
	// streams (FIFOs, devices, sockets) cannot.
	reopenable bool
	// notRead is why an entry of a directory input is listed but not
	// read (a symlink, a FIFO); Load records it and reads nothing.
	notRead string
}

// Expand turns command-line arguments into inputs. A directory yields every
// regular file below it (sorted, hidden files skipped). An argument that
// cannot be resolved yields an input whose Load reports the error, so one
// bad argument never hides the others.
func Expand(args []string, stdin io.Reader) []*Input {
	var out []*Input
	for _, arg := range args {
		switch {
		case arg == "-":
			r := stdin
			out = append(out, &Input{Src: NewSource("-", 0), open: func(ctx context.Context, opt Options) (io.ReadCloser, error) {
				// A pipe or a terminal that never delivers must not hang
				// the run: read it with the idle timeout of streams.
				if f, ok := r.(*os.File); ok {
					if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
						// Closing it is the caller's business.
						return newIdleReader(ctx, f, io.NopCloser(nil), opt.idle(), "stdin"), nil
					}
				}
				return io.NopCloser(r), nil
			}})
		case strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://"):
			u := arg
			out = append(out, &Input{Src: NewSource(u, 0), open: func(ctx context.Context, opt Options) (io.ReadCloser, error) {
				return openURL(ctx, u, opt)
			}})
		default:
			out = append(out, expandPath(arg)...)
		}
	}
	return out
}

func expandPath(arg string) []*Input {
	fi, err := os.Stat(arg)
	if err != nil {
		return []*Input{failed(arg, err)}
	}
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			// A FIFO, device or socket may deliver once, or never: read
			// as a stream, once.
			return []*Input{streamInput(arg, fi.Mode())}
		}
		return []*Input{fileInput(arg, fi.Size())}
	}
	var files []*Input
	werr := filepath.WalkDir(arg, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			files = append(files, failed(p, err))
			return nil
		}
		name := d.Name()
		if p != arg && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch t := d.Type(); {
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				files = append(files, failed(p, err))
				return nil
			}
			files = append(files, fileInput(p, info.Size()))
		case t&fs.ModeSymlink != 0:
			files = append(files, notReadInput(p, symlinkReason(arg, p)))
		case t.IsDir():
		default:
			// Reading it could wait forever on a writer the user never
			// meant to start.
			files = append(files, notReadInput(p, streamKind(t)+" inside a directory: not read (name it on the command line to read it as a stream)"))
		}
		return nil
	})
	if werr != nil {
		files = append(files, failed(arg, werr))
	}
	if len(files) == 0 {
		return []*Input{failed(arg, errors.New("directory holds no files"))}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Src.Path < files[j].Src.Path })
	return files
}

// symlinkReason says why symlink p inside directory input root is listed
// and not read. Symlinks are never followed: one to a file of the tree
// would count that file twice, one to a directory could loop, and one
// leading out of the tree could read what the person who gave the
// directory never meant to show (a bundle of logs linking to a key).
func symlinkReason(root, p string) string {
	dest, _ := os.Readlink(p)
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return fmt.Sprintf("broken symlink (to %s): not read", dest)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return fmt.Sprintf("symlink to %s, which cannot be read (%v)", dest, err)
	}
	if fi.IsDir() {
		return fmt.Sprintf("symlink to a directory (%s): not followed", dest)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		realRoot = root
	}
	rel, err := filepath.Rel(realRoot, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Sprintf("symlink to %s, outside %s: not followed (name it on the command line to read it)", dest, root)
	}
	if k := streamKind(fi.Mode()); k != "" {
		return fmt.Sprintf("symlink to %s, %s: not read", dest, k)
	}
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if strings.HasPrefix(part, ".") {
			return fmt.Sprintf("symlink to %s, a hidden file: not read, as hidden files are not", dest)
		}
	}
	return fmt.Sprintf("symlink to %s: not read, the file is read under its own name", filepath.Join(root, rel))
}

// notReadInput lists a directory entry that is not read, with why.
func notReadInput(path, reason string) *Input {
	return &Input{Src: NewSource(path, 0), notRead: reason, open: func(context.Context, Options) (io.ReadCloser, error) {
		return nil, errors.New(reason)
	}}
}

func fileInput(path string, size int64) *Input {
	return &Input{Src: NewSource(path, size), reopenable: true, open: func(context.Context, Options) (io.ReadCloser, error) {
		return os.Open(path)
	}}
}

func failed(path string, err error) *Input {
	return &Input{Src: NewSource(path, 0), open: func(context.Context, Options) (io.ReadCloser, error) {
		return nil, err
	}}
}

// NewInput wraps an in-memory or otherwise opened reader as an input (the
// embedded demo data, tests).
func NewInput(name string, size int64, open func() (io.ReadCloser, error)) *Input {
	return &Input{Src: NewSource(name, size), reopenable: true, open: func(context.Context, Options) (io.ReadCloser, error) { return open() }}
}

// Peek decodes at most limit decompressed bytes of a file or in-memory
// input into sink, for a caller that wants a sample of its first events
// before loading (to tell which inputs carry the same events). It reports
// into a scratch source, never in.Src, and returns the format found; ok is
// false when the input cannot be read twice (stdin, URLs), is empty, or is
// of no known format. Decoding errors of the cut-off sample are ignored.
func Peek(ctx context.Context, in *Input, formats []Format, sink Sink, opt Options, limit int64) (format string, ok bool) {
	if !in.reopenable {
		return "", false
	}
	defer func() {
		if r := recover(); r != nil {
			format, ok = "", false
		}
	}()
	// What the sample holds is dropped: nothing it reserves stays.
	opt, led := opt.withLedger(ctx)
	defer led.end(false)
	rc, err := in.open(ctx, opt)
	if err != nil {
		return "", false
	}
	defer rc.Close()
	scratch := NewSource(in.Src.Path, in.Src.Size)
	r, err := decompress(rc, scratch)
	if err != nil {
		return "", false
	}
	br := bufio.NewReaderSize(io.LimitReader(r, limit), SniffSize)
	head, _ := br.Peek(SniffSize)
	if len(head) == 0 {
		return "", false
	}
	for _, f := range formats {
		if f.Sniff(head) {
			scratch.SetFormat(f.Name)
			_ = f.Decode(ctx, br, scratch, sink, opt)
			return f.Name, true
		}
	}
	return "", false
}

func openURL(ctx context.Context, u string, opt Options) (io.ReadCloser, error) {
	timeout := opt.HTTPTimeout
	if timeout == 0 {
		timeout = urlTimeout(u)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errTimedOut)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		cancel()
		var re *redirectError
		switch {
		case errors.As(err, &re):
			return nil, re
		case errors.Is(context.Cause(ctx), errTimedOut):
			return nil, fmt.Errorf("timed out after %s waiting for the server to answer (-timeout waits longer)", timeout)
		}
		return nil, fmt.Errorf("fetch failed (is the server up and the URL right?): %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		cancel()
		msg := ""
		if q := bodyQuote(body); q != "" {
			msg = ": " + q
		}
		return nil, fmt.Errorf("server answered %s%s", resp.Status, msg)
	}
	max := opt.MaxHTTPBody
	if max == 0 {
		max = 512 << 20
	}
	return &limitedBody{r: io.LimitReader(resp.Body, max+1), max: max, c: resp.Body, cancel: cancel, ctx: ctx, timeout: timeout}, nil
}

// errTimedOut is the cause of a fetch's context when its time is up, to
// tell it from a cancellation.
var errTimedOut = errors.New("timed out")

// httpClient follows redirects only within the URL's origin: a profile
// endpoint that sends its client to another host is not fetched from
// silently.
var httpClient = &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
	from := via[0].URL
	if req.URL.Scheme != from.Scheme || req.URL.Host != from.Host {
		// The query may hold a token: the origin and path say enough.
		return &redirectError{from: from.Scheme + "://" + from.Host, to: req.URL.Scheme + "://" + req.URL.Host + req.URL.EscapedPath()}
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}}

type redirectError struct{ from, to string }

func (e *redirectError) Error() string {
	return fmt.Sprintf("the server redirected to %s, another origin than %s: not followed (give that URL itself if you trust it)", e.to, e.from)
}

// bodyQuote is the start of an error answer's body, for the message: its
// first line, at most 120 bytes, quoted (it is the server's text, not
// ours).
func bodyQuote(body []byte) string {
	body = bytes.TrimSpace(body)
	if i := bytes.IndexAny(body, "\r\n"); i >= 0 {
		body = body[:i]
	}
	cut := len(body) > 120
	if cut {
		body = body[:120]
		for len(body) > 0 && !utf8.Valid(body) {
			body = body[:len(body)-1]
		}
	}
	if len(body) == 0 {
		return ""
	}
	q := strconv.QuoteToGraphic(string(body))
	if cut {
		q += "…"
	}
	return q
}

// urlTimeout gives a pprof endpoint the seconds it was asked to sample plus
// slack for transfer.
func urlTimeout(u string) time.Duration {
	if i := strings.Index(u, "seconds="); i >= 0 {
		var n int
		if _, err := fmt.Sscanf(u[i+len("seconds="):], "%d", &n); err == nil && n > 0 && n < 3600 {
			return time.Duration(n)*time.Second + 30*time.Second
		}
	}
	return 60 * time.Second
}

type limitedBody struct {
	r       io.Reader
	n, max  int64
	c       io.Closer
	cancel  context.CancelFunc
	ctx     context.Context
	timeout time.Duration
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		return n, fmt.Errorf("response is larger than %d bytes", b.max)
	}
	if err != nil && err != io.EOF && errors.Is(context.Cause(b.ctx), errTimedOut) {
		// The transport says "use of closed network connection" or
		// "context deadline exceeded": say what happened.
		return n, fmt.Errorf("timed out after %s with %d bytes of the response read (the server stopped sending; -timeout waits longer)", b.timeout, b.n)
	}
	return n, err
}

func (b *limitedBody) Close() error { b.cancel(); return b.c.Close() }

// countingReader tracks raw bytes consumed for progress reports.
type countingReader struct {
	r       io.Reader
	counter *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.counter.Add(int64(n))
	return n, err
}

// Load reads one input: opens it, undoes gzip/zstd/bzip2, sniffs the format among
// formats (first match wins) and decodes it into sink. A decoder that finds
// the structure of its format broken on most of the first lines gives the
// input back (ErrNotThisFormat) and the next format whose sniffer accepts
// the head decodes the same bytes. The returned error (also kept in
// in.Src.Err) names the input; it is nil when the input loaded.
func Load(ctx context.Context, in *Input, formats []Format, sink Sink, opt Options) (err error) {
	src := in.Src
	opt, led := opt.withLedger(ctx)
	defer func() { led.end(err == nil) }()
	defer func() {
		if r := recover(); r != nil {
			// A decoder bug must cost one source, never the whole program.
			err = fmt.Errorf("internal error while decoding (please report it): %v", r)
		}
		if err != nil {
			err = &LoadError{Path: src.Path, Err: err}
		}
		src.finish(err)
	}()
	if in.notRead != "" {
		src.setNotRead(in.notRead)
		return nil
	}
	if other := src.SameAs(); other != "" {
		// Its events are another input's: counted there, once.
		src.SetNote("same-events", "same events as "+other+": used once")
		return nil
	}
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	open := func() (*bufio.Reader, []byte, error) {
		rc, err := in.open(ctx, opt)
		if err != nil {
			return nil, nil, err
		}
		closers = append(closers, rc)
		r, err := decompress(&countingReader{r: rc, counter: &src.bytesRead}, src)
		if err != nil {
			return nil, nil, err
		}
		r = undoBOM(r)
		if c, ok := r.(io.Closer); ok {
			closers = append(closers, c) // the zstd decoder's goroutines
		}
		br := bufio.NewReaderSize(&countingReader{r: r, counter: &src.decoded}, SniffSize)
		head, perr := br.Peek(SniffSize)
		if len(head) == 0 {
			if perr != nil && perr != io.EOF {
				return nil, nil, fmt.Errorf("reading: %w", perr)
			}
			return nil, nil, errors.New("input is empty")
		}
		if perr != nil && perr != io.EOF && perr != bufio.ErrBufferFull {
			return nil, nil, fmt.Errorf("reading the first %d bytes: %w", len(head), perr)
		}
		return br, head, nil
	}
	br, head, err := open()
	if err != nil {
		return err
	}
	// head is the reader's buffer, overwritten as a decoder reads on: the
	// formats tried after a give-back must sniff the same bytes.
	head = append([]byte(nil), head...)
	var r io.Reader = br
	var gaveBack []string
	var firstBack error
	notesBefore := src.noteCount()
	for _, f := range formats {
		if !f.Sniff(head) {
			continue
		}
		src.SetFormat(f.Name)
		rp := &replay{r: r, limit: ReplayLimit, overflow: !f.GivesBack}
		var dr io.Reader = r
		if f.GivesBack {
			// Decoders peek at what they read (bufio.Reader): keep that.
			dr = bufio.NewReaderSize(rp, SniffSize)
		}
		err := f.Decode(ctx, dr, src, sink, opt)
		if errors.Is(err, ErrNotThisFormat) && src.Events() == 0 && src.ConnEvents() == 0 {
			gaveBack = append(gaveBack, err.Error())
			if firstBack == nil {
				firstBack = err
			}
			src.resetForRetry(notesBefore)
			led.restart() // what it reserved goes with what it read
			if !rp.overflow {
				r = rp.again()
				continue
			}
			if !in.reopenable {
				return fmt.Errorf("%w; the next format would have to re-read more than the %d bytes hotpath keeps of a stream: save the input to a file and load that", err, ReplayLimit)
			}
			src.bytesRead.Store(0)
			src.decoded.Store(0)
			br2, _, err := open()
			if err != nil {
				return fmt.Errorf("reopening after %s gave the input back: %w", f.Name, err)
			}
			r = br2
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if src.Events() == 0 && src.ConnEvents() == 0 {
			return fmt.Errorf("%s: no events found%s", f.Name, skipSummary(src))
		}
		if len(gaveBack) > 0 {
			src.SetNote("gave-back", fmt.Sprintf("read as %s after %s", f.Name, strings.Join(gaveBack, "; ")))
		}
		return nil
	}
	if firstBack != nil {
		more := ""
		if len(gaveBack) > 1 {
			more = "; " + strings.Join(gaveBack[1:], "; ")
		}
		return fmt.Errorf("unrecognised format: %w%s; no other format recognised it (first bytes %q; hotpath reads %s)",
			firstBack, more, preview(head), formatNames(formats))
	}
	return fmt.Errorf("unrecognised format (first bytes %q); hotpath reads %s", preview(head), formatNames(formats))
}

// skipSummary says why nothing was found when lines were skipped: the most
// frequent reason and where it first occurred.
func skipSummary(src *Source) string {
	sk := src.Skipped()
	if len(sk) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d records skipped, most as %q, the first at line %d)", src.SkippedTotal(), sk[0].Reason, sk[0].FirstLine)
}

// LoadError is an input that could not be loaded.
type LoadError struct {
	Path string
	Err  error
}

func (e *LoadError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }

func decompress(r io.Reader, src *Source) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(4)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		src.setCompression("gzip")
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip header: %w", err)
		}
		return &truncationReader{r: zr, what: "gzip"}, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		src.setCompression("zstd")
		zr, err := zstd.NewReader(br, zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, fmt.Errorf("zstd header: %w", err)
		}
		return &truncationReader{r: zr.IOReadCloser(), what: "zstd"}, nil
	case len(magic) == 4 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h' && magic[3] >= '1' && magic[3] <= '9':
		// bzip2 (pgBadger's own test logs are bzipped): the decoder holds
		// one block (at most 900 kB, the size the header's digit names),
		// whatever the stream's length.
		src.setCompression("bzip2")
		return &truncationReader{r: bzip2.NewReader(br), what: "bzip2"}, nil
	}
	return br, nil
}

// truncationReader turns a compressed stream's unexpected EOF into an error
// that says what the user is looking at.
type truncationReader struct {
	r    io.Reader
	what string
	n    int64
}

// Close releases the decompressor (zstd's runs goroutines).
func (t *truncationReader) Close() error {
	if c, ok := t.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func (t *truncationReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.n += int64(n)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s stream broken after %d decompressed bytes (truncated file?): %w", t.what, t.n, err)
	}
	return n, err
}

func preview(b []byte) string {
	if len(b) > 16 {
		b = b[:16]
	}
	return string(b)
}

func formatNames(fs []Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}
