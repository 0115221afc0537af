package parse

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"
)

// Budget is the memory a whole run may spend on what its inputs make it
// hold: whole documents read into memory (counted decompressed), the
// profiles built from them, the stacks a streaming decoder keeps. Every
// load of the run shares one Budget, so inputs loading in parallel cannot
// together exceed it. A nil *Budget is no budget.
//
// It is a ledger of estimates made before allocating, not a measurement:
// a decoder reserves what it is about to keep and fails with a
// *BudgetError instead of allocating past the limit. A load whose
// reservation would fit once the other loads in progress let go of what
// they hold waits for them rather than failing, so that a gzip bomb
// hogging the budget for a moment fails alone and the profile loading
// beside it loads; it fails at once when it could not fit anyway, or when
// every other load holding memory is itself waiting.
type Budget struct {
	limit int64

	mu        sync.Mutex
	cond      *sync.Cond
	used      int64
	committed int64 // what loads that finished keep for the run
	loads     map[*ledger]struct{}
}

// NewBudget returns a budget of limit bytes; limit <= 0 means none (nil).
func NewBudget(limit int64) *Budget {
	if limit <= 0 {
		return nil
	}
	b := &Budget{limit: limit, loads: map[*ledger]struct{}{}}
	b.cond = sync.NewCond(&b.mu)
	return b
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
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Reserve takes n bytes from the budget, or returns a *BudgetError and
// takes nothing when that would pass the limit. It never waits. Safe for
// concurrent use.
func (b *Budget) Reserve(n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.limit-b.used {
		return &BudgetError{Need: n, InUse: b.used, Limit: b.limit}
	}
	b.used += n
	return nil
}

// Release gives back n bytes reserved earlier.
func (b *Budget) Release(n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.cond.Broadcast()
	b.mu.Unlock()
}

// BudgetError says a reservation would pass the memory budget. The caller
// prefixes what needed the memory: "reading the document (…) would need
// more than the 4096 MiB memory budget (-max-memory): …".
type BudgetError struct {
	Need, InUse, Limit int64
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("would need more than the %s memory budget (-max-memory): %s more asked, %s already held by this and the other inputs; raise -max-memory, or load fewer or smaller inputs at once",
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
// it fails or gives the input back. Its fields are guarded by b.mu.
type ledger struct {
	b               *Budget
	ctx             context.Context // nil outside Load: never cancelled
	transient, kept int64
	waiting         bool
	stop            func() bool
}

// reserve takes n bytes for the load, waiting while they would fit once
// other loads in progress release theirs (see Budget).
func (l *ledger) reserve(n int64, keep bool) error {
	if l == nil || l.b == nil || n <= 0 {
		return nil
	}
	b := l.b
	b.mu.Lock()
	defer b.mu.Unlock()
	for n > b.limit-b.used {
		if !l.mayWait(n) {
			return &BudgetError{Need: n, InUse: b.used, Limit: b.limit}
		}
		if l.ctx != nil && l.ctx.Err() != nil {
			return l.ctx.Err()
		}
		l.waiting = true
		b.cond.Wait()
		l.waiting = false
	}
	b.used += n
	if keep {
		l.kept += n
	} else {
		l.transient += n
	}
	return nil
}

// mayWait reports whether n bytes could fit once the other loads in
// progress let go of everything, and one of them that holds some is still
// running (not waiting itself): it will release, fail or finish, and wake
// this one. A chain of waiters always ends at one that runs.
func (l *ledger) mayWait(n int64) bool {
	b := l.b
	if n > b.limit-b.committed-l.transient-l.kept {
		return false
	}
	for o := range b.loads {
		if o != l && !o.waiting && o.transient+o.kept > 0 {
			return true
		}
	}
	return false
}

func (l *ledger) release(n int64, keep bool) {
	if l == nil || l.b == nil || n <= 0 {
		return
	}
	b := l.b
	b.mu.Lock()
	if keep {
		n = min(n, l.kept)
		l.kept -= n
	} else {
		n = min(n, l.transient)
		l.transient -= n
	}
	b.used -= n
	b.cond.Broadcast()
	b.mu.Unlock()
}

// end releases the transient reservations, and the kept ones too unless
// the load succeeded; the load is no longer in progress.
func (l *ledger) end(loaded bool) {
	if l == nil || l.b == nil {
		return
	}
	b := l.b
	b.mu.Lock()
	n := l.transient
	l.transient = 0
	if loaded {
		b.committed += l.kept
	} else {
		n += l.kept
	}
	l.kept = 0
	b.used -= n
	delete(b.loads, l)
	b.cond.Broadcast()
	b.mu.Unlock()
	if l.stop != nil {
		l.stop()
	}
}

// restart forgets what a decoder that gave the input back reserved; the
// load goes on with the next format.
func (l *ledger) restart() {
	if l == nil || l.b == nil {
		return
	}
	b := l.b
	b.mu.Lock()
	b.used -= l.transient + l.kept
	l.transient, l.kept = 0, 0
	b.cond.Broadcast()
	b.mu.Unlock()
}

// withLedger returns opt with a fresh ledger on its budget, for one load
// in progress until end.
func (o Options) withLedger(ctx context.Context) (Options, *ledger) {
	l := &ledger{b: o.Budget, ctx: ctx}
	if b := o.Budget; b != nil {
		b.mu.Lock()
		b.loads[l] = struct{}{}
		b.mu.Unlock()
		// A cancelled load stops waiting.
		l.stop = context.AfterFunc(ctx, func() {
			b.mu.Lock()
			b.cond.Broadcast()
			b.mu.Unlock()
		})
	}
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
