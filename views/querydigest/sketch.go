package querydigest

import (
	"math"
	"math/bits"
	"time"
)

// ---------------------------------------------------------------- histogram

// Hist is a mergeable log-linear histogram of durations: 8 buckets per
// power of two (about ±6 % relative error), from 1 ns to about 18 minutes
// (longer values land in the last bucket; the exact maximum is kept
// elsewhere). It costs 1.25 KiB.
type Hist struct {
	counts [histBuckets]uint32
	n      int64
}

const (
	histSub     = 8
	histMaxBits = 40
	histBuckets = (histMaxBits-2)*histSub + histSub
)

func histIndex(v int64) int {
	if v < histSub {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	k := bits.Len64(uint64(v)) - 1 // ≥ 3
	if k >= histMaxBits {
		return histBuckets - 1
	}
	sub := int(v>>(k-3)) & (histSub - 1)
	return (k-2)*histSub + sub
}

// histBounds returns the [lo, hi) range of bucket i.
func histBounds(i int) (lo, hi int64) {
	if i < histSub {
		return int64(i), int64(i) + 1
	}
	k := i/histSub + 2
	sub := int64(i % histSub)
	lo = (histSub + sub) << (k - 3)
	return lo, lo + 1<<(k-3)
}

// Add records one value.
func (h *Hist) Add(d time.Duration) {
	h.counts[histIndex(int64(d))]++
	h.n++
}

// Merge adds o's counts to h.
func (h *Hist) Merge(o *Hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// Count is the number of values recorded.
func (h *Hist) Count() int64 { return h.n }

// Quantile returns the q-quantile (0 < q ≤ 1) as the middle of its bucket,
// or 0 for an empty histogram.
func (h *Hist) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var cum int64
	for i, c := range h.counts {
		cum += int64(c)
		if cum >= rank {
			lo, hi := histBounds(i)
			return time.Duration((lo + hi) / 2)
		}
	}
	return 0
}

// Bucket is one bar of a coarse latency histogram.
type Bucket struct {
	UpperMs float64 `json:"le_ms"` // upper bound in ms; +Inf for the last
	Count   int64   `json:"count"`
}

// displayBounds are the coarse bars shown to people, in ms.
var displayBounds = []float64{0.01, 0.1, 1, 10, 100, 1000, 10000, math.Inf(1)}

// Buckets folds the histogram into decade bars.
func (h *Hist) Buckets() []Bucket {
	out := make([]Bucket, len(displayBounds))
	for i, b := range displayBounds {
		out[i].UpperMs = b
	}
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		lo, _ := histBounds(i)
		ms := float64(lo) / 1e6
		j := 0
		for j < len(displayBounds)-1 && ms >= displayBounds[j] {
			j++
		}
		out[j].Count += int64(c)
	}
	return out
}

// ---------------------------------------------------------------- distinct

// Distinct counts distinct 64-bit hashes: exactly up to 16, then with a
// HyperLogLog of 1024 registers (about 3 % standard error). At most 1 KiB.
type Distinct struct {
	small []uint64
	regs  *[1 << hllP]uint8
}

const hllP = 10

func mix(h uint64) uint64 { // splitmix64 finaliser: spreads FNV's bits
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// Add records one hash.
func (d *Distinct) Add(h uint64) {
	if d.regs == nil {
		for _, v := range d.small {
			if v == h {
				return
			}
		}
		if len(d.small) < 16 {
			d.small = append(d.small, h)
			return
		}
		d.regs = new([1 << hllP]uint8)
		for _, v := range d.small {
			d.hll(v)
		}
		d.small = nil
	}
	d.hll(h)
}

func (d *Distinct) hll(h uint64) {
	h = mix(h)
	idx := h >> (64 - hllP)
	rank := uint8(bits.LeadingZeros64(h<<hllP|1<<(hllP-1))) + 1
	if rank > d.regs[idx] {
		d.regs[idx] = rank
	}
}

// Count estimates the number of distinct hashes.
func (d *Distinct) Count() int64 {
	if d.regs == nil {
		return int64(len(d.small))
	}
	const m = 1 << hllP
	var sum float64
	zeros := 0
	for _, r := range d.regs {
		sum += 1 / float64(uint64(1)<<r)
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/float64(m))
	est := alpha * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(float64(m)/float64(zeros))
	}
	return int64(est + 0.5)
}
