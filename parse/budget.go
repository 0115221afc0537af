package parse

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

// Budget is the memory a whole run may spend on what its inputs make it
// hold: whole documents read into memory (counted decompressed), the
// profiles built from them, the stacks a streaming decoder keeps. Every
// load of the run shares one Budget, so inputs loading in parallel cannot
// together exceed it. A nil *Budget is no budget.
//
// It is a ledger of estimates made before allocating, not a measurement:
// a decoder reserves what it is about to keep and fails with a
// *BudgetError instead of allocating past the limit.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes; limit <= 0 means none (nil).
func NewBudget(limit int64) *Budget {
	if limit <= 0 {
		return nil
	}
	return &Budget{limit: limit}
}

// Limit is the budget in bytes (0 for none).
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	return b.limit
}

// InUse is how many bytes are reserved now.
func (b *Budget) InUse() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// Reserve takes n bytes from the budget, or returns a *BudgetError and
// takes nothing when that would pass the limit. Safe for concurrent use.
func (b *Budget) Reserve(n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	for {
		cur := b.used.Load()
		if n > b.limit-cur {
			return &BudgetError{Need: n, InUse: cur, Limit: b.limit}
		}
		if b.used.CompareAndSwap(cur, cur+n) {
			return nil
		}
	}
}

// Release gives back n bytes reserved earlier.
func (b *Budget) Release(n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.used.Add(-n)
}

// BudgetError says a reservation would pass the memory budget. The caller
// prefixes what needed the memory: "reading the document (…) would need
// more than the 4096 MiB memory budget (-max-memory): …".
type BudgetError struct {
	Need, InUse, Limit int64
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("would need more than the %s memory budget (-max-memory): %s more were asked with %s held by the inputs loaded so far; raise -max-memory, or load fewer or smaller inputs at once",
		mib(e.Limit), mib(e.Need), mib(e.InUse))
}

// mib formats a byte count for people.
func mib(n int64) string {
	switch {
	case n >= 10<<20:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// ledger is one load's account with the run's budget. What a decoder
// reserves as transient (a document read whole, a decoded JSON tree) is
// released when Load returns; what it keeps (the profile its events hold)
// stays reserved for the run when the load succeeds, and is released when
// it fails or gives the input back.
type ledger struct {
	b               *Budget
	mu              sync.Mutex
	transient, kept int64
}

func (l *ledger) reserve(n int64, keep bool) error {
	if l == nil || l.b == nil || n <= 0 {
		return nil
	}
	if err := l.b.Reserve(n); err != nil {
		return err
	}
	l.mu.Lock()
	if keep {
		l.kept += n
	} else {
		l.transient += n
	}
	l.mu.Unlock()
	return nil
}

func (l *ledger) release(n int64, keep bool) {
	if l == nil || l.b == nil || n <= 0 {
		return
	}
	l.mu.Lock()
	if keep {
		n = min(n, l.kept)
		l.kept -= n
	} else {
		n = min(n, l.transient)
		l.transient -= n
	}
	l.mu.Unlock()
	l.b.Release(n)
}

// end releases the transient reservations, and the kept ones too unless
// the load succeeded.
func (l *ledger) end(loaded bool) {
	if l == nil || l.b == nil {
		return
	}
	l.mu.Lock()
	n := l.transient
	l.transient = 0
	if !loaded {
		n += l.kept
		l.kept = 0
	}
	l.mu.Unlock()
	l.b.Release(n)
}

// withLedger returns opt with a fresh ledger on its budget, for one load.
func (o Options) withLedger() (Options, *ledger) {
	l := &ledger{b: o.Budget}
	o.led = l
	return o, l
}

// account is where a decoder's reservations go: the load's ledger, or,
// for a decoder called outside Load, straight to the budget (and kept
// until the process ends).
func (o Options) account() *ledger {
	if o.led != nil {
		return o.led
	}
	return &ledger{b: o.Budget}
}

// Keep reserves n bytes that the events a decoder emits will hold for the
// rest of the run (interned names, merged stacks). A decoder outside this
// package calls it before allocating what it keeps; the error, a
// *BudgetError, should stop the source.
func (o Options) Keep(n int64) error { return o.account().reserve(n, true) }

// DefaultMaxMemory is the budget a run gets unless told otherwise: a
// quarter of the memory this process may use — the machine's
// (/proc/meminfo's MemTotal) or its cgroup's limit (memory.max), whichever
// is smaller — and at most 4 GiB. Where neither can be read it is 2 GiB.
func DefaultMaxMemory() int64 {
	total := physicalMemory()
	if c := cgroupLimit(); c > 0 && (total == 0 || c < total) {
		total = c
	}
	if total <= 0 {
		return 2 << 30
	}
	return min(total/4, 4<<30)
}

// physicalMemory reads MemTotal from /proc/meminfo (0 when unknown); other
// systems have their own (budget_bsd.go).
func physicalMemory() int64 {
	if n := memTotalFrom("/proc/meminfo"); n > 0 {
		return n
	}
	return sysctlMemory()
}

func memTotalFrom(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "MemTotal:       24587172 kB"
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("MemTotal:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) == 0 {
			return 0
		}
		n, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil || n <= 0 || n > math.MaxInt64>>10 {
			return 0
		}
		if len(fields) > 1 && string(fields[1]) == "kB" {
			n <<= 10
		}
		return n
	}
	return 0
}

// cgroupLimit is the cgroup v2 memory limit of this process (a container's
// memory), 0 when there is none.
func cgroupLimit() int64 {
	data, err := os.ReadFile("/sys/fs/cgroup/memory.max")
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(data)), 10, 64)
	if err != nil || n <= 0 { // "max": no limit
		return 0
	}
	return n
}
