package parse

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/google/pprof/profile"
)

// maxFoldedLine bounds one folded-stack line (a stack of ~10k deep frames).
const maxFoldedLine = 1 << 20

// sniffFolded accepts "frame;frame;frame 42" lines as py-spy (raw),
// async-profiler (collapsed) and stackcollapse-perf write them, by their
// structure: the complete lines of the head, blank lines and comments
// ("# …", "// …", which people and some converters put at the top) aside,
// are "stack SP count" (one in twenty may be broken), none has the marks of
// a log line (see logLike), and one stack has a ';'. A web server's access
// log with the duration last ("… \"Mozilla/5.0 (X11; Linux x86_64)\" 1659")
// resembles that, and is not it.
func sniffFolded(head []byte) bool {
	lines := bytes.Split(head, []byte{'\n'})
	if len(lines) > 1 && len(head) == SniffSize {
		lines = lines[:len(lines)-1] // the last may be cut by the sniff window
	}
	valid, broken, semis := 0, 0, 0
	for _, l := range lines {
		l = bytes.TrimRight(l, "\r")
		if len(bytes.TrimSpace(l)) == 0 || isFoldedComment(l) {
			continue
		}
		if logLike(l) {
			return false
		}
		if _, _, _, ok := splitFolded(l); !ok {
			broken++
			continue
		}
		valid++
		if bytes.IndexByte(l, ';') >= 0 {
			semis++
		}
		if valid == 200 {
			break
		}
	}
	// One broken line in twenty, or one in a short file (speedscope's
	// importer skips an invalid line too).
	return valid > 0 && semis > 0 && broken <= max(1, valid/20) && broken*2 < valid
}

// logLike reports the marks of a log line that no stack frame has: a
// quoted string with a space in it ("GET /x HTTP/1.1", a user agent), an
// HTTP version, a bracketed common-log time ([01/Dec/2026:15:28:51 +0000]).
func logLike(l []byte) bool {
	if q := bytes.IndexByte(l, '"'); q >= 0 {
		if e := bytes.IndexByte(l[q+1:], '"'); e > 0 && bytes.IndexByte(l[q+1:q+1+e], ' ') >= 0 {
			return true
		}
	}
	if bytes.Contains(l, []byte(" HTTP/1.")) || bytes.Contains(l, []byte(" HTTP/2")) {
		return true
	}
	for i := bytes.IndexByte(l, '['); i >= 0 && i+12 <= len(l); {
		t := l[i+1:]
		if isDigit(t[0]) && isDigit(t[1]) && t[2] == '/' && t[6] == '/' && isDigit(t[7]) {
			return true
		}
		j := bytes.IndexByte(l[i+1:], '[')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isFoldedComment reports a "#" or "//" comment line: no profiler writes a
// frame that starts so, and speedscope's importer passes over them too.
func isFoldedComment(l []byte) bool {
	l = bytes.TrimLeft(l, " \t")
	return len(l) > 0 && l[0] == '#' || bytes.HasPrefix(l, []byte("//"))
}

// splitFolded splits "stack count" at the last space. A count past int64
// (all digits) saturates at math.MaxInt64 and says so.
func splitFolded(l []byte) (stack []byte, count int64, saturated, ok bool) {
	i := bytes.LastIndexByte(l, ' ')
	if i <= 0 {
		return nil, 0, false, false
	}
	n, sat, ok := parseCount(l[i+1:])
	if !ok {
		return nil, 0, false, false
	}
	stack = bytes.TrimRight(l[:i], " ")
	if len(stack) == 0 {
		return nil, 0, false, false
	}
	return stack, n, sat, true
}

// parseCount reads a decimal count (a leading '+' allowed, as strconv
// does), saturating at math.MaxInt64.
func parseCount(b []byte) (n int64, saturated, ok bool) {
	if len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false, false
		}
		d := int64(c - '0')
		if saturated || n > (math.MaxInt64-d)/10 {
			n, saturated = math.MaxInt64, true // the rest must still be digits
			continue
		}
		n = n*10 + d
	}
	return n, saturated, true
}

// foldedStacks interns a folded file's frames by their text and merges its
// identical stacks as they stream: a file of one stack repeated costs one
// sample, a file of distinct stacks what they are, reserved against the
// budget before it is allocated.
type foldedStacks struct {
	b      *profileBuilder
	frames map[string]*profile.Location // frame text → location
	stack  []*profile.Location
	value  [1]int64
}

func (fs *foldedStacks) add(stack []byte, n int64) (empty bool, err error) {
	fs.stack = fs.stack[:0]
	for len(stack) > 0 {
		f := stack
		if i := bytes.IndexByte(stack, ';'); i >= 0 {
			f, stack = stack[:i], stack[i+1:]
		} else {
			stack = nil
		}
		if len(f) == 0 {
			continue
		}
		loc, ok := fs.frames[string(f)]
		if !ok {
			if err := fs.b.led.reserve(int64(len(f))+slotCost, true); err != nil {
				return false, err
			}
			text := string(f)
			if loc, err = fs.b.newLocation(parseFrame(text)); err != nil {
				return false, err
			}
			fs.frames[text] = loc
		}
		fs.stack = append(fs.stack, loc)
	}
	if len(fs.stack) == 0 {
		return true, nil
	}
	fs.value[0] = n
	return false, fs.b.addLocs(fs.stack, fs.value[:], "", nil)
}

func decodeFolded(ctx context.Context, r io.Reader, src *Source, sink Sink, opt Options) error {
	b := newProfileBuilder("samples", "count")
	b.led = opt.account()
	fs := &foldedStacks{b: b, frames: map[string]*profile.Location{}}
	sc := NewLineScanner(r, maxFoldedLine)
	verdict := LineVerdict{Format: "folded", Want: `folded stacks ("frame;frame;… count")`}
	var cutAt int64
	for {
		l, ok, err := sc.Next()
		if err != nil {
			return fmt.Errorf("line %d: %w", sc.Line()+1, err)
		}
		if !ok {
			break
		}
		if sc.Line()%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if sc.TooLong() {
			src.SkipLine(sc.Line(), fmt.Sprintf("line longer than %d bytes", maxFoldedLine))
			if err := verdict.Bad(sc.Line(), sc.Offset(), l); err != nil {
				return err
			}
			continue
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		if isFoldedComment(l) {
			src.SkipLine(sc.Line(), "comment line")
			continue
		}
		stack, n, sat, ok := splitFolded(l)
		if !ok || logLike(l) {
			src.SkipLine(sc.Line(), "not a folded stack (want \"frame;frame;… count\")")
			if err := verdict.Bad(sc.Line(), sc.Offset(), l); err != nil {
				return err
			}
			continue
		}
		if err := verdict.Good(sc.Offset()); err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		empty, err := fs.add(stack, n)
		if err != nil {
			return fmt.Errorf("line %d: keeping the %d distinct stacks and %d frames read so far %w", sc.Line(), len(b.p.Sample), len(fs.frames), err)
		}
		if empty {
			src.SkipLine(sc.Line(), "empty stack")
			continue
		}
		if (sat || b.cut) && cutAt == 0 {
			cutAt = sc.Line()
		}
	}
	if err := verdict.End(); err != nil {
		return err
	}
	if len(b.p.Sample) == 0 {
		return fmt.Errorf("no stacks found")
	}
	if cutAt > 0 {
		src.Warnf("%s", saturationWarning(fmt.Sprintf("line %d", cutAt)))
	}
	return emitProfileEvents(b.p, b.added, src, sink)
}

// parseFrame reads py-spy's "func (path/file.py:12)" into function, file and
// line; other frames are kept whole. A frame-type annotation at the end —
// stackcollapse-perf's and async-profiler's "_[k]" kernel, "_[j]" JIT,
// "_[i]" inlined, "_[w]" waker, async-profiler's "_[0]"/"_[1]" tiers — is
// taken off the function name, as flamegraph.pl does for the names it shows
// (so "do_syscall_64_[k]" is the kernel's do_syscall_64, the same function
// a pprof profile names), and kept in the system name, where pprof keeps a
// symbol as the binary spells it.
func parseFrame(f string) frameKey {
	if n := len(f); n > 2 && f[n-1] == ')' {
		if open := lastIndexByte(f, '('); open > 0 && f[open-1] == ' ' {
			inner := f[open+1 : n-1]
			if colon := lastIndexByte(inner, ':'); colon > 0 {
				if line, err := strconv.ParseInt(inner[colon+1:], 10, 64); err == nil {
					return frameKey{name: f[:open-1], file: inner[:colon], line: line}
				}
			}
			return frameKey{name: f[:open-1], file: inner}
		}
	}
	if n := len(f); n > 4 && f[n-1] == ']' && f[n-4] == '_' && f[n-3] == '[' && isAnnotation(f[n-2]) {
		return frameKey{name: f[:n-4], sys: f}
	}
	return frameKey{name: f}
}

// isAnnotation is the one letter or digit of a "_[x]" frame annotation.
func isAnnotation(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func lastIndexByte(s string, c byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}
