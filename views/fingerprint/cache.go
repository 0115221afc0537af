package fingerprint

import "sync"

// Cache memoises fingerprints by statement shape (see ShapeOf), so that a
// consumer of every statement — a detector, a digest — runs the full
// normaliser once per shape instead of once per statement. It is safe for
// concurrent use and bounded (it forgets everything when full).
type Cache struct {
	mu    sync.RWMutex
	m     map[uint64]Cached
	max   int
	pool  sync.Pool
	fold  bool
	inits sync.Once
}

// Cached is what the cache returns for a statement. Fingerprint is a
// stable string (shared by every statement of the shape).
type Cached struct {
	Fingerprint string
	ID          uint64
	// Values hashes the statement's literal values (placeholders as a
	// marker); mix bind parameters in with MixString.
	Values   uint64
	Literals int
}

// NewCache returns a cache of at most max shapes (0: 1<<17);
// foldIdentDigits is passed to the normaliser.
func NewCache(max int, foldIdentDigits bool) *Cache {
	if max <= 0 {
		max = 1 << 17
	}
	return &Cache{m: map[uint64]Cached{}, max: max, fold: foldIdentDigits}
}

// Lookup fingerprints sql.
func (c *Cache) Lookup(sql string) Cached {
	sh := ShapeOf(sql)
	c.mu.RLock()
	v, ok := c.m[sh.Key]
	c.mu.RUnlock()
	if ok {
		v.Values, v.Literals = sh.Values, sh.Literals
		return v
	}
	c.inits.Do(func() {
		fold := c.fold
		c.pool.New = func() any { return &Fingerprinter{FoldIdentDigits: fold} }
	})
	f := c.pool.Get().(*Fingerprinter)
	r := f.Fingerprint(sql)
	v = Cached{Fingerprint: string(r.Fingerprint), ID: r.ID, Values: r.Values, Literals: r.Literals}
	c.pool.Put(f)
	if r.Literals != sh.Literals {
		return v // the pre-pass could not see every literal: never cached
	}
	v.Values = sh.Values
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[sh.Key] = v
	c.mu.Unlock()
	return v
}
