package main

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// peerVerdict is one row of testdata/sql/peers/verdicts.tsv: what pgBadger
// or pt-query-digest (or, where they cannot read a file, awk) says about a
// sample, as testdata/sql/peers/gen.sh recorded it. -1: the peer does not say.
type peerVerdict struct {
	file, format, peer string
	statements, fps    int64
	opened, closed     int64
	totalMS            float64
}

func readVerdicts(t *testing.T, path string) []peerVerdict {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	num := func(s string) float64 {
		if s == "-" {
			return -1
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%s: %q is not a number", path, s)
		}
		return v
	}
	var out []peerVerdict
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan(); n++ {
		c := strings.Split(sc.Text(), "\t")
		if n == 0 {
			continue // header
		}
		if len(c) != 8 {
			t.Fatalf("%s line %d: %d columns", path, n+1, len(c))
		}
		out = append(out, peerVerdict{file: c[0], format: c[1], peer: c[2], statements: int64(num(c[3])),
			totalMS: num(c[4]), fps: int64(num(c[5])), opened: int64(num(c[6])), closed: int64(num(c[7]))})
	}
	if len(out) == 0 {
		t.Fatalf("%s: no verdicts", path)
	}
	return out
}

// Each SQL-log layout the peers' own test suites cover (entries that start
// at "# Query_time:", "# User:" headers, administrator commands, garbled
// query times, MySQL 5.0/5.1 and 5.7 general logs, a refused login,
// PostgreSQL logs with collapsed spaces, a re-quoted csvlog, a log of
// connections only, bzip2, empty query strings) is read as the peer reads
// it: the same statements, total time, distinct fingerprints and
// connections.
func TestPeerVerdicts(t *testing.T) {
	dir := "../../testdata/sql/peers"
	for _, v := range readVerdicts(t, filepath.Join(dir, "verdicts.tsv")) {
		t.Run(v.file, func(t *testing.T) {
			r, errs, code := reportJSON(t, filepath.Join(dir, v.file))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if len(r.Sources) != 1 || r.Sources[0].Format != v.format {
				t.Fatalf("sources %+v, want one %s", r.Sources, v.format)
			}
			var stmts int64
			var total float64
			for _, q := range r.Queries {
				stmts += q.Count
				total += q.TotalMS
				if strings.TrimSpace(q.Fingerprint) == "" {
					t.Errorf("empty fingerprint: %+v", q)
				}
			}
			if v.statements >= 0 && stmts != v.statements {
				t.Errorf("statements %d, %s says %d", stmts, v.peer, v.statements)
			}
			if v.totalMS >= 0 && math.Abs(total-v.totalMS) > 0.0015 {
				t.Errorf("total %.3f ms, %s says %.3f", total, v.peer, v.totalMS)
			}
			if v.fps >= 0 && int64(len(r.Queries)) != v.fps {
				t.Errorf("fingerprints %d, %s says %d", len(r.Queries), v.peer, v.fps)
			}
			if v.opened >= 0 && r.Connections.Opened != v.opened {
				t.Errorf("connections opened %d, %s says %d", r.Connections.Opened, v.peer, v.opened)
			}
			if v.closed >= 0 && r.Connections.Closed != v.closed {
				t.Errorf("connections closed %d, %s says %d", r.Connections.Closed, v.peer, v.closed)
			}
		})
	}
}
