//go:build !darwin

package parse

// sysctlMemory is 0 where /proc/meminfo is the source (Linux) or nothing
// is known.
func sysctlMemory() int64 { return 0 }
