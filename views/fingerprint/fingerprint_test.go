package fingerprint

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFingerprint(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// pgbench, from the real log: negative deltas fold into the literal.
		{"UPDATE pgbench_tellers SET tbalance = tbalance + -4123 WHERE tid = 7;", "update pgbench_tellers set tbalance = tbalance + ? where tid = ?"},
		{"UPDATE pgbench_tellers SET tbalance = tbalance + 4123 WHERE tid = 7;", "update pgbench_tellers set tbalance = tbalance + ? where tid = ?"},
		{"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (8, 1, 54402, -12, CURRENT_TIMESTAMP);",
			"insert into pgbench_history(tid, bid, aid, delta, mtime) values (?, ?, ?, ?, current_timestamp)"},
		{"BEGIN;", "begin"},
		{"  begin  ", "begin"},
		{"select a - 1 from t", "select a - ?"[:0] + "select a - ? from t"},
		{"select -1, +2.5, 3e-4, 0xff, .5", "select ?, ?, ?, ?, ?"},
		// sysbench, from the real slow log.
		{"SELECT c FROM sbtest1 WHERE id=5012", "select c from sbtest1 where id = ?"},
		{"SELECT c FROM sbtest1 WHERE id BETWEEN 5012 AND 5111 ORDER BY c", "select c from sbtest1 where id between ? and ? order by c"},
		{"INSERT INTO sbtest1(k, c, pad) VALUES(5215, '288-11', '5643'),(4982, '25385', '54935'),(1,'a','b')", "insert into sbtest1(k, c, pad) values (...)"},
		{"INSERT INTO sbtest1(k, c, pad) VALUES(5215, '288-11', '5643'),(4982, '25", "insert into sbtest1(k, c, pad) values (...)"},
		{"insert into t values (1, now()), (2, now()), (3, now())", "insert into t values (?, now())"},
		// IN lists of any length are one shape; tuples too.
		{"select * from t where id in (1, 2, 3)", "select * from t where id in (...)"},
		{"select * from t where id IN ($1,$2,$3,$4)", "select * from t where id in (...)"},
		{"select * from t where (a, b) in ((1,2),(3,4))", "select * from t where (a, b) in (...)"},
		{"select * from t where id in (select id from u)", "select * from t where id in (select id from u)"},
		// Literals of every kind, placeholders of every driver.
		{"select 'it''s', E'a\\'b', $$dollar 'q'$$, $tag$x$tag$, X'ff', N'n'", "select ?, ?, ?, ?, ?, ?"},
		{"select * from u where id = %(pk_1)s and name = %s and x = :name and y = ? and z = $12", "select * from u where id = ? and name = ? and x = ? and y = ? and z = ?"},
		{"select true, false, null", "select ?, ?, null"},
		// Comments go (tags are extracted by the parsers before this).
		{"select 1 /* route='/x' */ -- trailing\n", "select ?"},
		{"/*application:shop,controller:orders*/ SELECT count(*) FROM t", "select count(*) from t"},
		{"select /* a /* nested */ comment */ 1", "select ?"},
		{"select 1 # mysql comment\n from dual", "select ? from dual"},
		// Identifiers: case folded, quoting kept for "", dropped for ``.
		{`SELECT "auth_user"."id" FROM "auth_user" WHERE "auth_user"."id" = 1 LIMIT 21`, `select "auth_user"."id" from "auth_user" where "auth_user"."id" = ? limit ?`},
		{"select `id` from `Tab`", "select id from tab"},
		{"select x::int, a.b, count(*), t1.c2 from t1", "select x::int, a.b, count(*), t1.c2 from t1"},
		// Whitespace is canonical.
		{"SELECT aid,\n       abalance\n  FROM pgbench_accounts\n WHERE aid IN (1, 2, 3)\n ORDER BY aid;", "select aid, abalance from pgbench_accounts where aid in (...) order by aid"},
		{"select a,b from t where x=1", "select a, b from t where x = ?"},
		{"select a , b from t where x = 1", "select a, b from t where x = ?"},
		{"", ""},
		{"-- ping", "-- ping"}, // pgx's ping: comments only
		{"/* Keep */   ;", "/* keep */ ;"},
		{"'unterminated", "?"},
	} {
		var f Fingerprinter
		got := string(f.Fingerprint(tc.in).Fingerprint)
		if got != tc.want {
			t.Errorf("Fingerprint(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestFoldIdentDigits(t *testing.T) {
	f := Fingerprinter{FoldIdentDigits: true}
	if got := string(f.Fingerprint("SELECT c FROM sbtest12 WHERE id=5").Fingerprint); got != "select c from sbtest? where id = ?" {
		t.Errorf("got %q", got)
	}
}

// Same shape with different values (N+1) versus the same values (a
// cacheable duplicate).
func TestValuesHash(t *testing.T) {
	var f Fingerprinter
	a := f.Fingerprint("select * from t where id = 1 and s = 'x'")
	b := f.Fingerprint("select * from t where id = 2 and s = 'x'")
	c := f.Fingerprint("SELECT * FROM t WHERE id=1 AND s='x'")
	if a.ID != b.ID || a.ID != c.ID {
		t.Fatalf("ids differ: %x %x %x", a.ID, b.ID, c.ID)
	}
	if a.Values == b.Values {
		t.Error("different literals, same values hash")
	}
	if a.Values != c.Values {
		t.Error("same literals, different values hash")
	}
	if a.Literals != 2 {
		t.Errorf("literals = %d", a.Literals)
	}
	p := f.Fingerprint("select * from t where id = $1")
	if MixString(p.Values, "1") == MixString(p.Values, "2") {
		t.Error("parameters do not change the values hash")
	}
}

func TestIDStable(t *testing.T) {
	// Query ids are part of the JSON report: they must not change between
	// runs or releases without notice.
	var f Fingerprinter
	if got := IDString(f.Fingerprint("SELECT abalance FROM pgbench_accounts WHERE aid = 1;").ID); got != "2c8c137607c2c270" {
		t.Errorf("id = %s", got)
	}
	if len(IDString(0)) != 16 {
		t.Error("ids are 16 hex digits")
	}
}

func TestAllocFree(t *testing.T) {
	var f Fingerprinter
	q := "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (8, 1, 54402, -12, CURRENT_TIMESTAMP) /* x */"
	f.Fingerprint(q)
	if n := testing.AllocsPerRun(100, func() { f.Fingerprint(q) }); n != 0 {
		t.Errorf("%v allocations per fingerprint, want 0", n)
	}
}

func BenchmarkFingerprint(b *testing.B) {
	q := "UPDATE pgbench_accounts SET abalance = abalance + -1234 WHERE aid = 54321;"
	var f Fingerprinter
	b.SetBytes(int64(len(q)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f.Fingerprint(q)
	}
}

func FuzzFingerprint(f *testing.F) {
	for _, s := range []string{
		"select 1", "UPDATE t SET a = a + -1 WHERE id IN (1,2,3);", "insert into t values (1,'a'),(2,'b')",
		"select $$x$$, $a$y$a$, E'\\'', 'it''s' /* c */ -- d", "select `a` from \"b\" where c = :d and e = %(f)s",
		"values (((", ")))", "in (", "/* unterminated", "'", "$", "0x", "1e", "-", "#", "\x00\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var fp Fingerprinter
		r := fp.Fingerprint(s)
		out := string(r.Fingerprint)
		// Idempotent on its own output's shape, bounded in size, and valid
		// UTF-8 whenever the input was.
		if len(out) > 2*len(s)+16 {
			t.Fatalf("fingerprint grew: %d → %d", len(s), len(out))
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) && !strings.ContainsAny(s, "`\"") {
			t.Fatalf("invalid UTF-8 out of valid input %q → %q", s, out)
		}
		if r.ID != Hash(r.Fingerprint) {
			t.Fatal("id is not the hash of the fingerprint")
		}
	})
}

func TestShape(t *testing.T) {
	same := [][2]string{
		{"SELECT c FROM sbtest1 WHERE id=5012", "SELECT c FROM sbtest1 WHERE id=7"},
		{"update t set a = a + -5 where b = 'x'", "update t set a = a + -123 where b = 'it''s'"},
		{"select * from t where id in (1, 2)", "select * from t where id in (3, 4)"},
	}
	if a, b := ShapeOf("select v from t where name = $1"), ShapeOf("select v from t where name = $2"); a.Key != b.Key || a.Literals != 1 {
		t.Errorf("placeholders: keys %x %x, %d literals", a.Key, b.Key, a.Literals)
	}
	for _, p := range same {
		a, b := ShapeOf(p[0]), ShapeOf(p[1])
		if a.Key != b.Key || a.Values == b.Values {
			t.Errorf("%q / %q: keys %x %x values %x %x", p[0], p[1], a.Key, b.Key, a.Values, b.Values)
		}
	}
	differ := [][2]string{
		{"select a -5", "select a -'5'"}, // a sign folds into a number, not a string
		{"select * from t where id in (1, 2)", "select * from t where id in (1, 2, 3)"},
		{"select 1 from t1", "select 1 from t2"},
	}
	for _, p := range differ {
		if ShapeOf(p[0]).Key == ShapeOf(p[1]).Key {
			t.Errorf("%q and %q share a shape", p[0], p[1])
		}
	}
	// A pre-pass that cannot see a literal says so through the count.
	var f Fingerprinter
	// A sqlcommenter comment's quoted values are no literal of the
	// statement: "$1 /*traceparent='…'*/" must not look complete.
	for _, q := range []string{"select $$x$$", "select true", "select 1 /* 2 */", "select a from t where x = :name", "select 1 -- 2\n",
		"select v from t where name = $1 /*traceparent='00-0abed5e3048f6d8eac0b33db5098cd23-a71c34032c779e4a-01'*/"} {
		if ShapeOf(q).Literals == f.Fingerprint(q).Literals {
			t.Errorf("%q: pre-pass and normaliser agree on the literal count", q)
		}
	}
}

// Any two statements with the same shape key, both seen completely by the
// pre-pass, have the same fingerprint.
func FuzzShape(f *testing.F) {
	f.Add("select * from t where id = 1", "select * from t where id = 2")
	f.Add("update t set a = a + -5", "update t set a = a + 7")
	f.Add("insert into t values (1, 'a'), (2, 'b')", "insert into t values (3, 'c'), (4, 'd')")
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, sb := ShapeOf(a), ShapeOf(b)
		if sa.Key != sb.Key {
			return
		}
		var fa, fb Fingerprinter
		ra, rb := fa.Fingerprint(a), fb.Fingerprint(b)
		if ra.Literals == sa.Literals && rb.Literals == sb.Literals && ra.ID != rb.ID {
			t.Fatalf("same shape, different fingerprints: %q → %q, %q → %q", a, ra.Fingerprint, b, rb.Fingerprint)
		}
	})
}

func TestCache(t *testing.T) {
	c := NewCache(4, false)
	var f Fingerprinter
	for _, q := range []string{
		"SELECT c FROM sbtest1 WHERE id=5012", "SELECT c FROM sbtest1 WHERE id=7", "SELECT c FROM sbtest1 WHERE id=5012",
		"select $$x$$", "update t set a = a + -5 where b = 'x'", "select 1", "select 2", "select 3", "select 4 from t",
	} {
		got := c.Lookup(q)
		want := f.Fingerprint(q)
		if got.ID != want.ID || got.Fingerprint != string(want.Fingerprint) || got.Literals != want.Literals {
			t.Errorf("%q: cached %+v, want %q %x", q, got, want.Fingerprint, want.ID)
		}
	}
	a, b := c.Lookup("select * from t where id = 1"), c.Lookup("select * from t where id = 2")
	if a.ID != b.ID || a.Values == b.Values || c.Lookup("select * from t where id = 1").Values != a.Values {
		t.Error("values hashes do not tell literal values apart")
	}
}
