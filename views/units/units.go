// Package units renders durations, byte counts, sample values and shares
// the one way every view, report and pane shows them.
package units

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Value renders a sample value in its unit the way pprof does:
// "1.23s", "450ms", "12.50MB", "1234".
func Value(v int64, unit string) string {
	switch strings.ToLower(unit) {
	case "nanoseconds", "ns":
		return Duration(time.Duration(v))
	case "microseconds", "us":
		return Duration(time.Duration(v) * time.Microsecond)
	case "milliseconds", "ms":
		return Duration(time.Duration(v) * time.Millisecond)
	case "seconds", "s":
		return Duration(time.Duration(v) * time.Second)
	case "bytes", "b":
		return Bytes(v)
	}
	return fmt.Sprintf("%d", v)
}

// Duration is a short duration: 3 significant digits, unit suffix.
func Duration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d == 0:
		s = "0"
	case d < time.Microsecond:
		s = fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		s = sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		s = sig3(float64(d)/1e6) + "ms"
	case d < time.Hour:
		s = sig3(float64(d)/1e9) + "s"
	default:
		s = sig3(d.Hours()) + "h"
	}
	if neg {
		return "-" + s
	}
	return s
}

// Bytes is a short byte count in powers of 1024.
func Bytes(v int64) string {
	f := math.Abs(float64(v))
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if v < 0 {
		f = -f
	}
	if i == 0 {
		return fmt.Sprintf("%dB", v)
	}
	return sig3(f) + units[i]
}

// Share renders 0.1234 as "12.3%".
func Share(s float64) string {
	return fmt.Sprintf("%.1f%%", s*100)
}

func sig3(f float64) string {
	switch {
	case f >= 100:
		return fmt.Sprintf("%.0f", f)
	case f >= 10:
		return fmt.Sprintf("%.1f", f)
	default:
		return fmt.Sprintf("%.2f", f)
	}
}
