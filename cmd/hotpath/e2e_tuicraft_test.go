package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// These tests drive the built binary in a real terminal: tmux (a private
// server, so no one's sessions are touched), with `script` recording every
// byte the program writes to its pty. Without tmux or script they fail under
// CI=true and skip, saying so, elsewhere.

func craftBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: builds and runs the binary")
	}
	needTool(t, "tmux", "to run hotpath in a real terminal (apt-get install tmux)")
	needTool(t, "script", "to record the bytes hotpath writes to its terminal (apt-get install util-linux)")
	return e2eBinary(t)
}

// term is one tmux session running hotpath under script.
type term struct {
	t      *testing.T
	socket string
	out    string // script's record of the pty output
}

func startTerm(t *testing.T, w, h int, args ...string) *term {
	bin := craftBinary(t)
	dir := t.TempDir()
	cmdline := bin
	for _, a := range args {
		cmdline += " " + a
	}
	out := filepath.Join(dir, "pty.out")
	return startShell(t, w, h, dir, "script", "-q", "-f", "-c", cmdline, out).withOut(out)
}

func (tm *term) withOut(p string) *term { tm.out = p; return tm }

// startShell runs argv in a new tmux session of w×h cells. CI is unset
// because termenv reads a CI variable as "no terminal" and would drop every
// attribute.
func startShell(t *testing.T, w, h int, dir string, argv ...string) *term {
	tm := &term{t: t, socket: tmuxSocket()}
	tm.tmux(append([]string{"-f", "/dev/null", "new-session", "-d", "-s", "s", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		"env", "-u", "CI", "TERM=xterm-256color", "COLORTERM=truecolor", "XDG_CONFIG_HOME=" + dir}, argv...)...)
	t.Cleanup(func() { killTmux(tm.socket) })
	return tm
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *term) keys(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		tm.tmux("send-keys", "-t", "s", k)
		time.Sleep(40 * time.Millisecond) // one frame each, as a person types
		if k == "Escape" {
			// a key read together with ESC would be alt+key: let the
			// program take the ESC alone first, as a terminal does
			time.Sleep(250 * time.Millisecond)
		}
	}
}

func (tm *term) screen() string {
	out, err := exec.Command("tmux", "-L", tm.socket, "capture-pane", "-p", "-t", "s").CombinedOutput()
	if err != nil {
		return ""
	}
	return string(out)
}

// waitFor waits until the screen contains every one of want.
func (tm *term) waitFor(want ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(60 * time.Second) // generous: a loaded machine, not a slow hotpath
	for {
		s := tm.screen()
		ok := true
		for _, w := range want {
			if !strings.Contains(s, w) {
				ok = false
			}
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("screen never showed %q:\n%s", want, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pane switches to the pane titled title by its number in the pane bar
// (other panes may come before it).
func (tm *term) pane(title string) {
	tm.t.Helper()
	s := tm.waitFor(title)
	m := regexp.MustCompile(`(\d) ` + regexp.QuoteMeta(title)).FindStringSubmatch(strings.SplitN(s, "\n", 2)[0])
	if m == nil {
		tm.t.Fatalf("no %s in the pane bar:\n%s", title, s)
	}
	tm.keys(m[1])
}

// tabColumn is the 1-based column of title in the pane bar.
func (tm *term) tabColumn(title string) int {
	bar := strings.SplitN(tm.screen(), "\n", 2)[0]
	i := strings.Index(bar, title)
	if i < 0 {
		tm.t.Fatalf("no %s in the pane bar %q", title, bar)
	}
	return len([]rune(bar[:i])) + 1
}

func (tm *term) written() []byte {
	b, _ := os.ReadFile(tm.out)
	return b
}

// TestE2ETUICraftSession navigates every pane, searches, zooms the flame
// view, opens the sandwich, clicks a tab, resizes the window mid-session,
// copies with OSC 52 and quits.
func TestE2ETUICraftSession(t *testing.T) {
	tm := startTerm(t, 100, 30, "demo", "workload")
	tm.waitFor("Hotspots", "5/5 sources")
	// every pane: tab through them all, then go to each by number
	tm.keys("Tab", "Tab", "Tab", "Tab", "Tab", "Tab")
	tm.pane("Sources")
	tm.waitFor("5 sources · 5 loaded", "demo/workload/cpu.pprof")
	tm.keys("j", "j", "k")
	tm.keys("BTab")
	tm.pane("Queries")
	tm.waitFor("SQL log")
	// Findings: filter, step, open the function in Hotspots
	tm.pane("Findings")
	tm.waitFor("severity", "avoidable")
	tm.keys("/", "l", "o", "c", "k", "Enter")
	tm.waitFor("/lock", "n/N step", "waiting on a lock")
	tm.keys("n", "Enter")
	tm.waitFor("Callers and callees of")
	tm.keys("Escape")
	tm.waitFor("functions ·")
	tm.keys("j", "j")
	tm.keys("?")
	tm.waitFor("Navigation", "press any key to close")
	tm.keys("Escape")

	// search: the table narrows, the filter line shows, esc clears it
	tm.keys("/", "r", "e", "g", "e", "x", "p", "Enter")
	s := tm.waitFor("/regexp", "n/N step")
	for _, line := range strings.Split(s, "\n")[3:8] {
		if !strings.Contains(line, "regexp") {
			t.Errorf("filtered row without the query: %q", line)
		}
	}
	tm.keys("Escape")

	// flame view: zoom in, breadcrumbs, zoom out
	tm.keys("f")
	tm.waitFor("Flame · cpu/nanoseconds · root", "of total")
	tm.keys("g", "j", "j", "Enter")
	tm.waitFor("root › ")
	tm.keys("/", "b", "a", "c", "k", "Enter", "n")
	tm.waitFor("/back", "frames")
	tm.keys("Escape", "Escape")
	s = tm.waitFor("Flame · cpu/nanoseconds · root")
	if strings.Contains(strings.Split(s, "\n")[1], "›") {
		t.Errorf("esc should zoom out:\n%s", s)
	}
	tm.keys("S")
	tm.waitFor("Sandwich · ")
	tm.keys("Escape")
	tm.waitFor("Flame · ")

	// the mouse: a click on the second tab switches pane
	x := tm.tabColumn("Sources")
	tm.tmux("send-keys", "-t", "s", "-l", fmt.Sprintf("\x1b[<0;%d;1M\x1b[<0;%d;1m", x, x))
	tm.waitFor("5 sources · 5 loaded")
	x = tm.tabColumn("Hotspots")
	tm.tmux("send-keys", "-t", "s", "-l", fmt.Sprintf("\x1b[<0;%d;1M\x1b[<0;%d;1m", x, x))
	tm.waitFor("Flame · ")

	// resize mid-session: too small, then larger than at start
	tm.tmux("resize-window", "-t", "s", "-x", "50", "-y", "12")
	tm.waitFor("Window too small: 50×12")
	tm.tmux("resize-window", "-t", "s", "-x", "140", "-y", "40")
	s = tm.waitFor("Flame · ", "of total")
	if lines := strings.Split(strings.TrimRight(s, "\n"), "\n"); len(lines) != 40 {
		t.Errorf("after resize the screen has %d lines, want 40", len(lines))
	}

	// copy: the status line says so and the pty got an OSC 52 sequence
	tm.keys("y")
	s = tm.waitFor("copied ")
	re := regexp.MustCompile("\x1b\\]52;c;([A-Za-z0-9+/=]+)(\x07|\x1b\\\\)")
	var m [][]byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m = re.FindSubmatch(tm.written()); m != nil {
			break
		}
	}
	if m == nil {
		t.Fatalf("no OSC 52 sequence in the pty output")
	}
	text, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil || len(text) == 0 {
		t.Fatalf("OSC 52 payload %q: %v", m[1], err)
	}
	if !strings.Contains(s, "copied "+string(text[:min(len(text), 20)])) {
		t.Errorf("copied %q but the status line says:\n%s", text, s)
	}

	// quit: the program leaves the alternate screen and exits
	tm.keys("q")
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if bytes.Contains(tm.written(), []byte("\x1b[?1049l")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("hotpath did not quit")
		}
	}
}

// TestE2ETUICraftBytesPerKeystroke measures what one navigation keystroke
// costs on the wire at 80x24 (bubbletea repaints changed lines only): the
// bytes the program writes to its pty, averaged over many keystrokes.
func TestE2ETUICraftBytesPerKeystroke(t *testing.T) {
	tm := startTerm(t, 80, 24, "demo", "workload")
	tm.waitFor("5/5 sources") // a key pressed while loading only leaves the progress view
	tm.pane("Hotspots")
	tm.waitFor("functions ·", "5/5 sources")
	measure := func(name string, keys ...string) {
		time.Sleep(300 * time.Millisecond)
		before := len(tm.written())
		const rounds = 3
		for range rounds {
			for _, k := range keys {
				tm.tmux("send-keys", "-t", "s", k)
				time.Sleep(120 * time.Millisecond) // a frame of its own for each key
			}
		}
		time.Sleep(400 * time.Millisecond)
		per := float64(len(tm.written())-before) / float64(rounds*len(keys))
		t.Logf("%s: %.0f bytes per keystroke at 80x24", name, per)
		if per > 4096 {
			t.Errorf("%s: %.0f bytes per keystroke, want under 4 KB", name, per)
		}
	}
	measure("table j/k", "j", "j", "j", "j", "k", "k", "j", "j")
	tm.keys("f")
	tm.waitFor("Flame · ")
	measure("flame h/j/k/l", "j", "j", "l", "l", "h", "k", "l", "k")
}

// TestE2ETUICraftLoadingProgressAndCancel: one input never ends (a FIFO
// nobody writes), the other loads. The progress view comes at once, a key
// shows the panes with what has loaded, and ctrl+c cancels the rest and
// quits cleanly.
func TestE2ETUICraftLoadingProgressAndCancel(t *testing.T) {
	bin := craftBinary(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "never.pprof")
	if err := exec.Command(needTool(t, "mkfifo", "to make an input that never ends"), fifo).Run(); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	cpu, _ := filepath.Abs("demo/data/workload/cpu.pprof")
	tm := startShell(t, 90, 24, dir, "sh", "-c", bin+" "+fifo+" "+cpu+"; echo EXIT=$?; sleep 30")
	tm.waitFor("Loading 2 sources", "0 ev ⋯", "✓ done", "ctrl+c cancels", "loading 1…")
	tm.keys("j")
	tm.pane("Hotspots")
	tm.waitFor("functions ·", "1/2 sources", "loading 1…")
	tm.keys("C-c")
	s := tm.waitFor("EXIT=0")
	if !strings.Contains(s, "loading cancelled (1 of 2 inputs unfinished)") {
		t.Errorf("no cancellation note:\n%s", s)
	}
}

// TestE2ETUICraftBadFlags: --keys and --theme are checked before the
// terminal is taken, with errors naming the file and the entry.
func TestE2ETUICraftBadFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(bad, []byte(`{"quit": "Q", "fliter": "/"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"demo", "--keys", bad}, nil, &stdout, &stderr); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if msg := stderr.String(); !strings.Contains(msg, bad) || !strings.Contains(msg, `"fliter": unknown action`) {
		t.Errorf("stderr = %q", msg)
	}
	stderr.Reset()
	if code := run([]string{"demo", "--theme", "sepia"}, nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "sepia") {
		t.Errorf("--theme sepia: exit %d, %q", code, stderr.String())
	}
	t.Setenv("XDG_CONFIG_HOME", dir) // the config file is read when --keys is not given
	if err := os.MkdirAll(filepath.Join(dir, "hotpath"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hotpath", "keys.json"), []byte(`{"down": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run([]string{"demo"}, nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `"down": no keys`) {
		t.Errorf("config file: exit %d, %q", code, stderr.String())
	}
}

// TestE2ETUICraftNoColor: under NO_COLOR the program writes no colour at
// all, and the selection still shows (reverse video).
func TestE2ETUICraftNoColor(t *testing.T) {
	bin := craftBinary(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "pty.out")
	tm := startShell(t, 80, 24, dir, "env", "NO_COLOR=1", "script", "-q", "-f", "-c", bin+" demo workload", out).withOut(out)
	tm.waitFor("5/5 sources") // a key pressed while loading only leaves the progress view
	tm.pane("Hotspots")
	tm.waitFor("functions ·")
	tm.keys("j", "f")
	tm.waitFor("Flame · ")
	time.Sleep(200 * time.Millisecond)
	w := string(tm.written())
	if sgr := regexp.MustCompile("\x1b\\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;[0-9;]*)?m").FindString(w); sgr != "" {
		t.Errorf("colour under NO_COLOR: %q", sgr)
	}
	if !regexp.MustCompile("\x1b\\[([0-9;]*;)?7(;[0-9;]*)?m").MatchString(w) {
		t.Error("no reverse video for the selection")
	}
	tm.keys("q")
}
