package parse

import (
	"math"
	"time"
)

// Counts and durations read from inputs are whatever the file says: two
// durations near the int64 limit, or a float of 1e300 seconds, must not
// wrap into negative or tiny numbers. These saturate at the limits
// instead; the readers and the views' sums use them.

// SatAdd is a+b, held at the int64 limits instead of wrapping.
func SatAdd[T ~int64](a, b T) T {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return T(math.MaxInt64)
	case a < 0 && b < 0 && s >= 0:
		return T(math.MinInt64)
	}
	return s
}

// SatMul is a·b, held at the int64 limits instead of wrapping.
func SatMul[T ~int64](a, b T) T {
	if a == 0 || b == 0 {
		return 0
	}
	p := a * b
	if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		if (a < 0) != (b < 0) {
			return T(math.MinInt64)
		}
		return T(math.MaxInt64)
	}
	return p
}

// SatInt64 converts f to an int64, rounding toward zero, held at the
// limits; NaN is 0. (Go leaves an out-of-range conversion to the machine:
// on amd64 1e300 becomes math.MinInt64.)
func SatInt64(f float64) int64 {
	switch {
	case f != f:
		return 0
	case f >= math.MaxInt64: // 2^63: the nearest float64 above the limit
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// FloatDuration is f nanoseconds as a Duration, held at the limits.
func FloatDuration(f float64) time.Duration { return time.Duration(SatInt64(f)) }
