//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// becomeSubreaper makes this process the parent of every orphan among its
// descendants (prctl PR_SET_CHILD_SUBREAPER), so that a detached tmux
// server and what runs in it stay findable as descendants.
func becomeSubreaper() bool {
	const prSetChildSubreaper = 36
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	return errno == 0
}

// procStat is the state and parent of a process, from /proc/PID/stat.
func procStat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, false
	}
	// "pid (comm) S ppid …": comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+4 >= len(b) {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(string(f[1]))
	return f[0][0], ppid, err == nil
}

// running is whether pid exists and is not a zombie.
func running(pid int) bool {
	state, _, ok := procStat(pid)
	return ok && state != 'Z'
}

// descendants lists every process below root, zombies included.
func descendants(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, ok := procStat(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	for queue := children[root]; len(queue) > 0; queue = queue[1:] {
		out = append(out, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	return out
}

// killDescendants kills every running process below root, reaps them, and
// waits up to wait for them to be gone. It returns the ones it found, as
// "pid command line". Only for the end of the run: reaping could take an
// exit status an exec.Cmd still waits for.
func killDescendants(root int, wait time.Duration) []string {
	var found []string
	seen := map[int]bool{}
	for deadline := time.Now().Add(wait); ; time.Sleep(50 * time.Millisecond) {
		alive := 0
		for _, pid := range descendants(root) {
			if !running(pid) {
				continue
			}
			alive++
			if !seen[pid] {
				seen[pid] = true
				cmd, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
				found = append(found, fmt.Sprintf("%d %s", pid, bytes.TrimSpace(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))))
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		for {
			var ws syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
		if alive == 0 || time.Now().After(deadline) {
			return found
		}
	}
}
