package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"

	"hotpath/parse"
)

// sizeFlag is a byte size on the command line: -max-memory 2GiB.
type sizeFlag struct{ n int64 }

func (s *sizeFlag) String() string {
	if s == nil {
		return ""
	}
	return formatSize(s.n)
}

func (s *sizeFlag) Set(v string) error {
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	if n < 0 {
		return fmt.Errorf("size %q is negative", v)
	}
	s.n = n
	return nil
}

// formatSize writes n in the largest binary unit that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n > 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// memoryBudget is the run's budget for -max-memory (0: none). Unless
// GOMEMLIMIT says otherwise it also sets the Go runtime's soft memory
// limit a quarter above the budget, so garbage (a document's pieces after
// the join, a decoded JSON tree) is collected before the process grows past
// what the budget allows, rather than at the next doubling of the heap.
// restore puts back the limit there was (run is called by tests too).
func memoryBudget(limit int64) (b *parse.Budget, restore func()) {
	b = parse.NewBudget(limit)
	if b == nil || os.Getenv("GOMEMLIMIT") != "" || limit >= math.MaxInt64/2 {
		return b, func() {}
	}
	prev := debug.SetMemoryLimit(limit + limit/4 + 64<<20)
	return b, func() { debug.SetMemoryLimit(prev) }
}

// ParseSize reads a byte size as -max-memory takes it: a
// number of bytes, or one with a binary unit — "512MiB", "4G", "1.5GiB",
// "64k" (K, M, G, T, with or without "i"/"iB"/"B"; all powers of 1024).
func ParseSize(s string) (int64, error) {
	t := bytes.TrimSpace([]byte(s))
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := string(t[:i]), string(bytes.ToLower(bytes.TrimSpace(t[i:])))
	if num == "" {
		return 0, fmt.Errorf("size %q: want a number of bytes, or one with a unit such as 512MiB or 4GiB", s)
	}
	var shift uint
	switch unit {
	case "", "b":
	case "k", "kb", "ki", "kib":
		shift = 10
	case "m", "mb", "mi", "mib":
		shift = 20
	case "g", "gb", "gi", "gib":
		shift = 30
	case "t", "tb", "ti", "tib":
		shift = 40
	default:
		return 0, fmt.Errorf("size %q: unknown unit %q (want KiB, MiB, GiB or TiB)", s, t[i:])
	}
	if unit == "" || unit == "b" {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("size %q: want a whole number of bytes, or a unit such as 512MiB", s)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	v := f * float64(int64(1)<<shift)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}
