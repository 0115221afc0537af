package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// runMarker is in the environment of every process this test binary
// starts, and of theirs (tmux servers and their panes included), so that
// TestMain can find any of them still running after the tests.
const runMarkerVar = "HOTPATH_TEST_RUN"

var (
	runMarker string // runMarkerVar=… for this run
	e2eDir    string // the end-to-end tests' binary; removed by TestMain
)

func TestMain(m *testing.M) {
	runMarker = fmt.Sprintf("%s=%d-%d", runMarkerVar, os.Getpid(), time.Now().UnixNano())
	_, val, _ := strings.Cut(runMarker, "=")
	os.Setenv(runMarkerVar, val)
	dir, err := os.MkdirTemp("", "hotpath-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	e2eDir = dir
	code := m.Run()
	if left := killMarked(runMarker, 10*time.Second); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the tests left %d processes running (killed now):\n%s", len(left), strings.Join(left, "\n"))
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

// tmuxSocket names a private tmux server for one test; the name is also
// put in the environment of the programs in its panes (sessionMarker), so
// that killTmux finds them all, however they were started.
func tmuxSocket() string {
	tmuxSeq.Lock()
	defer tmuxSeq.Unlock()
	tmuxSeq.n++
	return fmt.Sprintf("hotpath-test-%d-%d", os.Getpid(), tmuxSeq.n)
}

func sessionMarker(socket string) string { return "HOTPATH_TEST_SESSION=" + socket }

// killTmux ends a test's tmux server and every process of its panes (a
// program that ignores the hang-up, and what it started, must not outlive
// the test), and waits until they are gone.
func killTmux(socket string) {
	out, _ := exec.Command("tmux", "-L", socket, "list-panes", "-a", "-F", "#{pane_pid}").Output()
	_ = exec.Command("tmux", "-L", socket, "kill-server").Run()
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	killMarked(sessionMarker(socket), 10*time.Second)
}

// killMarked kills every process whose environment holds marker (KEY=value)
// and waits up to wait for them to be gone. It returns the ones it found,
// as "pid cmdline". Without /proc (not Linux) it finds none.
func killMarked(marker string, wait time.Duration) []string {
	var found []string
	seen := map[int]bool{}
	deadline := time.Now().Add(wait)
	for {
		pids := marked(marker)
		for _, pid := range pids {
			if !seen[pid] {
				seen[pid] = true
				found = append(found, fmt.Sprintf("%d %s", pid, cmdline(pid)))
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if len(pids) == 0 || time.Now().After(deadline) {
			return found
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// marked lists the running processes (zombies have no environment) whose
// environment holds marker, this process excepted.
func marked(marker string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := []byte(marker)
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue // gone, or another user's
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if bytes.Equal(kv, want) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
}
