package parse

import "golang.org/x/sys/unix"

// sysctlMemory is the machine's memory on macOS (hw.memsize).
func sysctlMemory() int64 {
	n, err := unix.SysctlUint64("hw.memsize")
	if err != nil || n > 1<<62 {
		return 0
	}
	return int64(n)
}
