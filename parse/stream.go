package parse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"
)

// DefaultIdleTimeout is how long a stream input (a FIFO, a character
// device, a socket, stdin from a pipe or a terminal) may deliver nothing
// before its load stops with an error; Options.IdleTimeout changes it.
const DefaultIdleTimeout = 60 * time.Second

func (o Options) idle() time.Duration {
	switch {
	case o.IdleTimeout < 0:
		return 0
	case o.IdleTimeout == 0:
		return DefaultIdleTimeout
	}
	return o.IdleTimeout
}

// streamKind names a file that is not a regular one, for messages; "" for
// a regular file or a directory.
func streamKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a Unix socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeIrregular != 0:
		return "a file of unknown type"
	}
	return ""
}

// streamInput reads a FIFO, device or socket once, as it comes: no Peek,
// no reopen after a give-back (Load keeps ReplayLimit bytes instead), and
// an idle timeout, since a writer that never comes would otherwise hang
// the load forever.
func streamInput(path string, mode fs.FileMode) *Input {
	return &Input{Src: NewSource(path, 0), open: func(ctx context.Context, opt Options) (io.ReadCloser, error) {
		return openStream(ctx, path, mode, opt)
	}}
}

func openStream(ctx context.Context, path string, mode fs.FileMode, opt Options) (io.ReadCloser, error) {
	idle := opt.idle()
	kind := streamKind(mode)
	if mode&fs.ModeSocket != 0 {
		d := net.Dialer{Timeout: idle}
		c, err := d.DialContext(ctx, "unix", path)
		if err != nil {
			return nil, fmt.Errorf("%s, and connecting to it failed (is its server running?): %w", kind, err)
		}
		return newIdleReader(ctx, c, c, idle, kind), nil
	}
	var f *os.File
	var err error
	if mode&fs.ModeNamedPipe != 0 {
		f, err = openFIFO(ctx, path, idle)
	} else {
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, err
	}
	return newIdleReader(ctx, f, f, idle, kind), nil
}

// openFIFO opens a FIFO for reading, which blocks until a writer opens it:
// the wait is bounded by idle and ctx.
func openFIFO(ctx context.Context, path string, idle time.Duration) (*os.File, error) {
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	var timeout <-chan time.Time
	if idle > 0 {
		t := time.NewTimer(idle)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case o := <-ch:
		return o.f, o.err
	case <-timeout:
		abandonFIFOOpen(path, ch)
		return nil, fmt.Errorf("a named pipe (FIFO) that delivered nothing for %s: is the writer running? (no process opened it for writing; -timeout waits longer)", idle.Round(time.Millisecond))
	case <-ctx.Done():
		abandonFIFOOpen(path, ch)
		return nil, ctx.Err()
	}
}

type opened struct {
	f   *os.File
	err error
}

// abandonFIFOOpen releases the goroutine blocked in open(2): opening the
// FIFO for writing ourselves completes it, and both ends are closed.
func abandonFIFOOpen(path string, ch chan opened) {
	w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	go func() {
		if o := <-ch; o.f != nil {
			o.f.Close()
		}
		if err == nil {
			w.Close()
		}
	}()
}

type deadliner interface {
	SetReadDeadline(time.Time) error
}

// idleReader fails a read that waits longer than idle for its first byte,
// and one cancelled by ctx. Files the runtime can poll (FIFOs, sockets,
// terminals opened here) get read deadlines; others (stdin as the process
// got it, devices that cannot be polled) are read by a goroutine of their
// own, waited for with a timer (a read that never returns leaves that
// goroutine blocked, not the load).
type idleReader struct {
	ctx  context.Context
	r    io.Reader
	c    io.Closer
	dl   deadliner
	stop func() bool
	idle time.Duration
	kind string
	n    int64

	// Without deadlines: the reading goroutine hands over one chunk at a
	// time, and reads on when told.
	chunks  chan chunk
	more    chan struct{}
	done    chan struct{}
	pending []byte
	perr    error
	started bool
}

type chunk struct {
	b   []byte
	err error
}

func newIdleReader(ctx context.Context, r io.Reader, c io.Closer, idle time.Duration, kind string) *idleReader {
	ir := &idleReader{ctx: ctx, r: r, c: c, idle: idle, kind: kind}
	if dl, ok := r.(deadliner); ok && dl.SetReadDeadline(time.Time{}) == nil {
		ir.dl = dl
		// A read blocked on a silent writer ends when the load is
		// cancelled (ctrl+c in the TUI).
		ir.stop = context.AfterFunc(ctx, func() { dl.SetReadDeadline(time.Unix(1, 0)) })
	}
	return ir
}

func (ir *idleReader) Read(p []byte) (int, error) {
	if ir.dl == nil {
		return ir.readAsync(p)
	}
	if ir.perr != nil {
		// Sticky: the readers above (bufio) report an error once and
		// would read again, waiting anew.
		return 0, ir.perr
	}
	if ir.idle > 0 {
		ir.dl.SetReadDeadline(time.Now().Add(ir.idle))
	}
	// Cancelled before the deadline above was set: the AfterFunc's
	// deadline in the past was overwritten.
	if err := ir.ctx.Err(); err != nil {
		ir.perr = err
		return 0, err
	}
	n, err := ir.r.Read(p)
	ir.n += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		ir.perr = ir.timedOut()
		return n, ir.perr
	}
	return n, err
}

func (ir *idleReader) timedOut() error {
	if cerr := ir.ctx.Err(); cerr != nil {
		return cerr
	}
	if ir.n == 0 {
		return fmt.Errorf("%s that delivered nothing for %s: is the writer running? (-timeout waits longer)", ir.kind, ir.idle.Round(time.Millisecond))
	}
	return fmt.Errorf("%s that delivered nothing more for %s after %d bytes: is the writer still running? (-timeout waits longer)", ir.kind, ir.idle.Round(time.Millisecond), ir.n)
}

func (ir *idleReader) readAsync(p []byte) (int, error) {
	if !ir.started {
		ir.started = true
		ir.chunks, ir.more, ir.done = make(chan chunk), make(chan struct{}), make(chan struct{})
		go ir.pump()
	}
	if len(ir.pending) == 0 {
		if ir.perr != nil {
			return 0, ir.perr
		}
		var timeout <-chan time.Time
		if ir.idle > 0 {
			t := time.NewTimer(ir.idle)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case c := <-ir.chunks:
			ir.pending, ir.perr = c.b, c.err
		case <-timeout:
			ir.perr = ir.timedOut()
			return 0, ir.perr
		case <-ir.ctx.Done():
			ir.perr = ir.ctx.Err()
			return 0, ir.perr
		}
	}
	n := copy(p, ir.pending)
	ir.pending = ir.pending[n:]
	ir.n += int64(n)
	if len(ir.pending) == 0 && ir.perr == nil {
		select {
		case ir.more <- struct{}{}:
		case <-ir.done:
		}
	}
	if n == 0 {
		return 0, ir.perr
	}
	return n, nil
}

// pump reads r into one buffer, handing each chunk over and waiting until
// it was consumed before reading on.
func (ir *idleReader) pump() {
	buf := make([]byte, 64<<10)
	for {
		n, err := ir.r.Read(buf)
		if n == 0 && err == nil {
			continue
		}
		select {
		case ir.chunks <- chunk{buf[:n], err}:
		case <-ir.done:
			return
		}
		if err != nil {
			return
		}
		select {
		case <-ir.more:
		case <-ir.done:
			return
		}
	}
}

func (ir *idleReader) Close() error {
	if ir.stop != nil {
		ir.stop()
	}
	if ir.done != nil {
		close(ir.done)
	}
	return ir.c.Close()
}
