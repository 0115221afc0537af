package parse

import (
	"math"
	"math/big"
	"testing"
	"time"
)

// TestSaturating: each result is the exact one (math/big) held at the
// int64 limits.
func TestSaturating(t *testing.T) {
	clamp := func(x *big.Int) int64 {
		if x.Cmp(big.NewInt(math.MaxInt64)) > 0 {
			return math.MaxInt64
		}
		if x.Cmp(big.NewInt(math.MinInt64)) < 0 {
			return math.MinInt64
		}
		return x.Int64()
	}
	vals := []int64{0, 1, -1, 2, -2, 1000, math.MaxInt64, math.MaxInt64 - 1, math.MinInt64, math.MinInt64 + 1, math.MaxInt64 / 2, math.MinInt64 / 2, 3037000499, 3037000500, -3037000500}
	for _, a := range vals {
		for _, b := range vals {
			sum := clamp(new(big.Int).Add(big.NewInt(a), big.NewInt(b)))
			prod := clamp(new(big.Int).Mul(big.NewInt(a), big.NewInt(b)))
			if got := SatAdd(a, b); got != sum {
				t.Errorf("SatAdd(%d, %d) = %d, want %d", a, b, got, sum)
			}
			if got := SatMul(time.Duration(a), time.Duration(b)); int64(got) != prod {
				t.Errorf("SatMul(%d, %d) = %d, want %d", a, b, got, prod)
			}
		}
	}
	for _, c := range []struct {
		f    float64
		want int64
	}{{1e300, math.MaxInt64}, {-1e300, math.MinInt64}, {math.Inf(1), math.MaxInt64}, {math.NaN(), 0}, {9.2e18, 9200000000000000000}, {-2.5, -2}, {1.5e9, 1500000000}} {
		if got := SatInt64(c.f); got != c.want {
			t.Errorf("SatInt64(%g) = %d, want %d", c.f, got, c.want)
		}
	}
}
