//go:build unix

package parse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loadWithin loads in, failing the test (instead of hanging it) when Load
// has not returned after limit.
func loadWithin(t *testing.T, ctx context.Context, in *Input, opt Options, limit time.Duration) (lines int64, err error, took time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- Load(ctx, in, []Format{countingFormat(&lines)}, &memSink{}, opt) }()
	select {
	case err = <-done:
		return lines, err, time.Since(start)
	case <-time.After(limit):
		t.Fatalf("%s: Load still waiting after %s", in.Src.Path, limit)
	}
	return
}

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFIFO: a FIFO given on the command line is read once as a stream;
// one whose writer never comes, never writes or stops writing is an error
// saying so after the idle timeout, not a hang (it hung report forever);
// cancelling the load ends the wait at once.
func TestFIFO(t *testing.T) {
	const idle = 300 * time.Millisecond
	opt := Options{IdleTimeout: idle}
	cases := []struct {
		name   string
		writer func(path string) // nil: nobody opens it for writing
		lines  int64
		err    string
	}{
		{"no writer", nil, 0, "a named pipe (FIFO) that delivered nothing for 300ms: is the writer running?"},
		{"writer silent", func(p string) {
			w, _ := os.OpenFile(p, os.O_WRONLY, 0)
			time.Sleep(3 * idle)
			w.Close()
		}, 0, "a named pipe (FIFO) that delivered nothing for 300ms: is the writer running?"},
		{"writer stalls", func(p string) {
			w, _ := os.OpenFile(p, os.O_WRONLY, 0)
			fmt.Fprint(w, "a\nb\nc\n")
			time.Sleep(3 * idle)
			w.Close()
		}, 0, "delivered nothing more for 300ms after 6 bytes: is the writer still running?"},
		{"writer writes", func(p string) {
			w, _ := os.OpenFile(p, os.O_WRONLY, 0)
			for i := range 1000 {
				fmt.Fprintf(w, "line %d\n", i)
			}
			w.Close()
		}, 1000, ""},
		{"writer slow but steady", func(p string) {
			w, _ := os.OpenFile(p, os.O_WRONLY, 0)
			for i := range 4 {
				time.Sleep(idle / 2)
				fmt.Fprintf(w, "line %d\n", i)
			}
			w.Close()
		}, 4, ""},
	}
	for _, c := range cases {
		p := mkfifo(t)
		if c.writer != nil {
			go c.writer(p)
		}
		in := Expand([]string{p}, nil)[0]
		if in.reopenable {
			t.Errorf("%s: a FIFO counted as reopenable", c.name)
		}
		lines, err, took := loadWithin(t, context.Background(), in, opt, 10*idle)
		t.Logf("%s: %d lines, err %v, after %s", c.name, lines, err, took.Round(time.Millisecond))
		if c.err == "" {
			if err != nil || lines != c.lines {
				t.Errorf("%s: %d lines, err %v; the writer wrote %d", c.name, lines, err, c.lines)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("%s: err %v, want %q naming the file", c.name, err, c.err)
		}
	}

	// Cancelled while waiting for a writer, and while waiting for bytes.
	for _, opens := range []bool{false, true} {
		p := mkfifo(t)
		if opens {
			go func() {
				w, _ := os.OpenFile(p, os.O_WRONLY, 0)
				time.Sleep(2 * time.Second)
				w.Close()
			}()
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err, took := loadWithin(t, ctx, Expand([]string{p}, nil)[0], Options{IdleTimeout: time.Minute}, 5*time.Second)
		if !errors.Is(err, context.Canceled) || took > time.Second {
			t.Errorf("cancelled (writer opened %v): err %v after %s", opens, err, took)
		}
	}
}

// TestStdinAndSocketStreams: stdin from a pipe that delivers nothing (read
// by a goroutine of its own: a blocking descriptor cannot take deadlines)
// and a Unix socket whose server says nothing are idle errors; a socket
// whose server writes is read.
func TestStdinAndSocketStreams(t *testing.T) {
	const idle = 300 * time.Millisecond
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	r, w := os.NewFile(uintptr(fds[0]), "stdin-pipe"), os.NewFile(uintptr(fds[1]), "stdin-writer")
	defer r.Close()
	defer w.Close()
	_, err, _ := loadWithin(t, context.Background(), Expand([]string{"-"}, r)[0], Options{IdleTimeout: idle}, 10*idle)
	if err == nil || !strings.HasPrefix(err.Error(), "-: ") || !strings.Contains(err.Error(), "stdin that delivered nothing for 300ms: is the writer running?") {
		t.Errorf("silent stdin: %v", err)
	}

	dir := t.TempDir()
	for _, say := range []int{0, 500} {
		sock := filepath.Join(dir, fmt.Sprintf("s%d", say))
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := l.Accept()
			if err != nil {
				return
			}
			for i := range say {
				fmt.Fprintf(c, "%d\n", i)
			}
			if say == 0 {
				time.Sleep(3 * idle)
			}
			c.Close()
		}()
		lines, err, _ := loadWithin(t, context.Background(), Expand([]string{sock}, nil)[0], Options{IdleTimeout: idle}, 10*idle)
		l.Close()
		if say == 0 && (err == nil || !strings.Contains(err.Error(), "a Unix socket that delivered nothing for 300ms")) {
			t.Errorf("silent socket: %v", err)
		}
		if say > 0 && (err != nil || lines != int64(say)) {
			t.Errorf("socket: %d lines (the server wrote %d), err %v", lines, say, err)
		}
	}
}

// TestDirectoryLinksAndPipes: a directory's symlinks and FIFOs are listed
// with why they are not read, instead of left out silently, and reading
// the directory never waits on a FIFO; the file a symlink inside the tree
// points to is read once, under its own name.
func TestDirectoryLinksAndPipes(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.log")
	os.WriteFile(outside, []byte("x\n"), 0o600)
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "a.log"), []byte("1\n2\n3\n"), 0o644))
	must(os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	must(os.Mkdir(filepath.Join(dir, ".hidden"), 0o755))
	must(os.WriteFile(filepath.Join(dir, ".hidden", "h.log"), []byte("h\n"), 0o644))
	must(os.Symlink("a.log", filepath.Join(dir, "current.log")))
	must(os.Symlink(outside, filepath.Join(dir, "out.log")))
	must(os.Symlink("..", filepath.Join(dir, "sub", "loop")))
	must(os.Symlink("missing.log", filepath.Join(dir, "broken.log")))
	must(os.Symlink(".hidden/h.log", filepath.Join(dir, "h.log")))
	must(syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o600))

	want := map[string]string{ // path → why it is not read ("" : read)
		"a.log":       "",
		"broken.log":  "broken symlink (to missing.log): not read",
		"current.log": "symlink to " + filepath.Join(dir, "a.log") + ": not read, the file is read under its own name",
		"h.log":       "symlink to .hidden/h.log, a hidden file: not read, as hidden files are not",
		"out.log":     "symlink to " + outside + ", outside " + dir + ": not followed (name it on the command line to read it)",
		"pipe":        "a named pipe (FIFO) inside a directory: not read (name it on the command line to read it as a stream)",
		"sub/loop":    "symlink to a directory (..): not followed",
	}
	ins := Expand([]string{dir}, nil)
	if len(ins) != len(want) {
		t.Errorf("%d inputs, want %d", len(ins), len(want))
	}
	for _, in := range ins {
		rel, _ := filepath.Rel(dir, in.Src.Path)
		reason, ok := want[rel]
		if !ok {
			t.Errorf("unexpected input %s", rel)
			continue
		}
		lines, err, _ := loadWithin(t, context.Background(), in, Options{IdleTimeout: time.Minute}, 5*time.Second)
		if err != nil || in.Src.NotRead() != reason {
			t.Errorf("%s: err %v, not read because %q, want %q", rel, err, in.Src.NotRead(), reason)
		}
		notes := in.Src.Notes()
		if reason != "" && (len(notes) != 1 || notes[0] != reason || lines != 0) {
			t.Errorf("%s: notes %v, %d lines read", rel, notes, lines)
		}
		if reason == "" && lines != 3 {
			t.Errorf("%s: %d lines, want 3", rel, lines)
		}
	}
}
