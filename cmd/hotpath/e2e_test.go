package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// tmuxSession runs the built binary in a real terminal.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
}

func startTmux(t *testing.T, w, h int, env []string, command string) *tmuxSession {
	t.Helper()
	needTool(t, "tmux", "to run hotpath in a real terminal (apt-get install tmux)")
	s := &tmuxSession{t: t, socket: tmuxSocket(), name: "e2e"}
	args := []string{"-L", s.socket, "-f", "/dev/null", "new-session", "-d", "-s", s.name,
		"-x", fmt.Sprint(w), "-y", fmt.Sprint(h)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, command)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { killTmux(s.socket) })
	return s
}

func (s *tmuxSession) capture(escapes bool) string {
	args := []string{"-L", s.socket, "capture-pane", "-p", "-t", s.name}
	if escapes {
		args = append(args, "-e")
	}
	out, err := exec.Command("tmux", args...).Output()
	if err != nil {
		return ""
	}
	return string(out)
}

func (s *tmuxSession) send(keys ...string) {
	args := append([]string{"-L", s.socket, "send-keys", "-t", s.name}, keys...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		s.t.Fatalf("send-keys %v: %v\n%s", keys, err, out)
	}
}

// waitFor polls the screen until it contains want.
func (s *tmuxSession) waitFor(want string) string {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second) // generous: a loaded machine, not a slow hotpath
	var screen string
	for time.Now().Before(deadline) {
		screen = s.capture(false)
		if strings.Contains(screen, want) {
			return screen
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("screen never showed %q; last screen:\n%s", want, screen)
	return ""
}

// waitGone waits until the screen no longer shows gone.
func (s *tmuxSession) waitGone(gone string) string {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var screen string
	for time.Now().Before(deadline) {
		screen = s.capture(false)
		if !strings.Contains(screen, gone) {
			return screen
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("screen kept showing %q; last screen:\n%s", gone, screen)
	return ""
}

func (s *tmuxSession) alive() bool {
	return exec.Command("tmux", "-L", s.socket, "has-session", "-t", s.name).Run() == nil
}

func TestE2EShellInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := e2eBinary(t)
	s := startTmux(t, 80, 24, []string{"TERM=xterm-256color", "NO_COLOR=1"}, bin+" demo workload")
	screen := s.waitFor("5/5 sources")
	for _, want := range []string{"1 Findings", "2 Hotspots", "3 Queries", "4 Traces", "5 Sources", "lock_contention", "recordAudit", "? help"} {
		if !strings.Contains(screen, want) {
			t.Errorf("home screen lacks %q:\n%s", want, screen)
		}
	}
	if lines := strings.Split(strings.TrimRight(screen, "\n"), "\n"); len(lines) != 24 {
		t.Errorf("screen has %d lines, want 24", len(lines))
	}
	if colored := s.capture(true); strings.Contains(colored, "\x1b[38") || strings.Contains(colored, "\x1b[48") {
		t.Errorf("NO_COLOR=1 but the screen has colours:\n%q", colored)
	}

	s.send("2")
	s.waitFor("cpu/nanoseconds")
	s.send("s") // sort by cum: the root of every stack comes first
	screen = s.waitFor("sorted by cum")
	s.send("Enter")
	screen = s.waitFor("Callers and callees of")
	s.send("Escape")
	s.waitFor("sorted by cum")

	s.send("5")
	screen = s.waitFor("5 sources · 5 loaded · 0 failed")
	if !strings.Contains(screen, "demo/workload/cpu.pprof") {
		t.Errorf("Sources pane lacks demo/workload/cpu.pprof:\n%s", screen)
	}
	s.send("?")
	s.waitFor("Navigation")
	s.send("x") // any key closes help
	s.waitFor("5 sources · 5 loaded")

	// A finding's location opens in Hotspots.
	s.send("1")
	s.waitFor("lock_contention")
	s.send("Enter")
	s.waitFor("Callers and callees of main.(*server).recordAudit")
	s.send("5")
	s.waitFor("5 sources · 5 loaded")

	if out, err := exec.Command("tmux", "-L", s.socket, "resize-window", "-t", s.name, "-x", "120", "-y", "40").CombinedOutput(); err != nil {
		t.Fatalf("resize-window: %v %s", err, out)
	}
	// The status line moves to the new last row once hotpath redraws.
	deadline := time.Now().Add(60 * time.Second)
	for {
		lines := strings.Split(strings.TrimRight(s.capture(false), "\n"), "\n")
		if len(lines) == 40 && strings.Contains(lines[39], "? help") && len(lines[0]) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after resize to 120x40 the screen is:\n%s", strings.Join(lines, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}

	s.send("q")
	deadline = time.Now().Add(5 * time.Second)
	for s.alive() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if s.alive() {
		t.Errorf("q did not quit:\n%s", s.capture(false))
	}
}

func TestE2EColoursWithoutNoColor(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := e2eBinary(t)
	s := startTmux(t, 80, 24, []string{"TERM=xterm-256color", "COLORTERM=truecolor"}, "env -u NO_COLOR -u CI "+bin+" demo workload") // termenv treats CI=… as no terminal
	s.waitFor("5/5 sources")
	if colored := s.capture(true); !strings.Contains(colored, "\x1b[") {
		t.Errorf("TERM=xterm-256color but no colour on screen")
	}
	s.send("q")
}

// TestE2EFindingLinks: a finding's anchors open in the other panes — its
// query in Queries (Q), an example request's waterfall in Traces (T), its
// function in Hotspots (enter) — on the recorded Go service.
func TestE2EFindingLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := e2eBinary(t)
	s := startTmux(t, 100, 30, []string{"TERM=xterm-256color", "NO_COLOR=1"}, bin+" demo")
	s.waitFor("6/6 sources")
	s.waitGone("computing…") // the lists settle before keys act on them
	s.waitFor("slow query: select id, kind from events where ref = ?")
	// Each wait is for what only the pane the key opens shows: the
	// Findings pane itself says "… of this fingerprint", names the query
	// and the N+1's statement, and a key sent before the anchor has opened
	// would act on the pane before it.
	s.send("Q")
	s.waitFor("distinct parameter sets") // the fingerprint's detail
	s.waitFor("select id, kind from events where ref = ?")
	s.send("Escape") // the fingerprint's detail closes: the Queries table
	s.waitFor("fingerprints ·")
	s.send("Escape") // nothing left to close: back where the anchor was followed
	s.waitFor("severity   avoidable")
	s.send("j", "T")
	s.waitFor("enter attributes") // the request's waterfall
	screen := s.waitFor("GET /orders")
	if !strings.Contains(screen, "db select name from customers where") {
		t.Errorf("the N+1 request's waterfall lacks its repeated statement:\n%s", screen)
	}
	s.send("1")
	s.waitFor("appendAuditLocked")
	s.send("j", "j", "j", "Enter")
	s.waitFor("Callers and callees of main.(*server).appendAuditLocked")
	s.send("q")
}
