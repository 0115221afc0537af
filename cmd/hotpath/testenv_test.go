package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// e2eDir holds the end-to-end tests' binary; TestMain removes it.
var e2eDir string

// TestMain makes this process the reaper of every process the tests start
// (tmux servers detach from their parent; their panes' programs outlive
// them), and fails the run when one is still running after the tests.
func TestMain(m *testing.M) {
	reaper := becomeSubreaper()
	dir, err := os.MkdirTemp("", "hotpath-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	e2eDir = dir
	code := m.Run()
	if !reaper {
		fmt.Fprintln(os.Stderr, "note: not Linux: processes left running by the tests are not looked for")
	} else if left := killDescendants(os.Getpid(), 10*time.Second); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the tests left %d processes running (killed now):\n%s\n", len(left), strings.Join(left, "\n"))
		code = 1
	}
	if err := os.RemoveAll(e2eDir); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: removing %s: %v\n", e2eDir, err)
		code = 1
	}
	os.Exit(code)
}

// needTool returns the path of an external program a test needs. Without
// it the test fails under CI=true (CI installs it: .ci/run) and skips,
// saying why, elsewhere.
func needTool(t testing.TB, name, why string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is needed %s: %v", name, why, err)
		}
		t.Skipf("%s is not installed; it is needed %s", name, why)
	}
	return p
}

var (
	e2eBinOnce sync.Once
	e2eBin     string
	e2eBinErr  error
)

// e2eBinary builds hotpath once for every end-to-end test, into the folder
// TestMain removes.
func e2eBinary(t *testing.T) string {
	t.Helper()
	needTool(t, "go", "to build the binary the end-to-end tests run")
	e2eBinOnce.Do(func() {
		e2eBin = filepath.Join(e2eDir, "hotpath")
		out, err := exec.Command("go", "build", "-o", e2eBin, ".").CombinedOutput()
		if err != nil {
			e2eBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if e2eBinErr != nil {
		t.Fatal(e2eBinErr)
	}
	return e2eBin
}

var tmuxSeq struct {
	sync.Mutex
	n int
}

// tmuxSocket names a private tmux server for one test.
func tmuxSocket() string {
	tmuxSeq.Lock()
	defer tmuxSeq.Unlock()
	tmuxSeq.n++
	return fmt.Sprintf("hotpath-test-%d-%d", os.Getpid(), tmuxSeq.n)
}

func killPid(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// killTmux ends a test's tmux server and every process under it (a
// program that ignores the hang-up, and what it started, must not outlive
// the test), and waits until they are gone.
func killTmux(socket string) {
	out, _ := exec.Command("tmux", "-L", socket, "display-message", "-p", "#{pid}").Output()
	panes, _ := exec.Command("tmux", "-L", socket, "list-panes", "-a", "-F", "#{pane_pid}").Output()
	server, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	var tree []int
	if server > 1 {
		tree = append(descendants(server), server)
	}
	for _, f := range strings.Fields(string(panes)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			tree = append(tree, pid)
		}
	}
	_ = exec.Command("tmux", "-L", socket, "kill-server").Run()
	for _, pid := range tree {
		killPid(pid)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		alive := false
		for _, pid := range tree {
			alive = alive || running(pid)
		}
		if !alive {
			return
		}
	}
}
