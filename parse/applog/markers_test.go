package applog

import (
	"bufio"
	"bytes"
	"regexp"
	"testing"
)

// TestRequestMarkers: djshop's django.log (testdata/scenarios/djshop) has
// the application's own "start GET /path rid=…" and "done … rid=…" records
// around each request's statements on its thread. Every statement logged
// on a thread between its start and done records belongs to that request:
// counted here from the raw lines, independently of the decoder.
func TestRequestMarkers(t *testing.T) {
	path := repo("testdata", "scenarios", "djshop", "artifacts", "django.log.gz")
	_, sink, err := loadFile(t, path)
	if err != nil {
		t.Fatal(err)
	}
	// Ground truth from the lines: thread → open request id and path.
	head := regexp.MustCompile(`^\S+ \S+ \[([^\]]+)\] (\w+) (\S+): (.*)$`)
	marker := regexp.MustCompile(`^(start|done) (\w+) (/[^ ?]*)\S* .*rid=(\S+)$`)
	open := map[string][2]string{}
	want := map[string]int{} // request id → statements
	wantRoute := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(raw(t, path)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := head.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		thread, logger, msg := m[1], m[3], m[4]
		switch {
		case logger == "shop.request":
			if mm := marker.FindStringSubmatch(msg); mm != nil {
				if mm[1] == "start" {
					open[thread] = [2]string{mm[4], mm[3]}
					wantRoute[mm[4]] = mm[3]
				} else {
					delete(open, thread)
				}
			}
		case logger == "django.db.backends" && regexp.MustCompile(`^\(\d+\.\d+\) `).MatchString(msg):
			if r, ok := open[thread]; ok {
				want[r[0]]++
			}
		}
	}
	if len(want) < 100 {
		t.Fatalf("only %d requests with statements in the ground truth: the log changed?", len(want))
	}
	got := map[string]int{}
	for _, st := range sink.stmts {
		if st.RequestID == "" {
			continue
		}
		got[st.RequestID]++
		if r := st.Tags["route"]; r != wantRoute[st.RequestID] {
			t.Errorf("request %s: route %q, the marker says %q", st.RequestID, r, wantRoute[st.RequestID])
			break
		}
	}
	bad := 0
	for id, n := range want {
		if got[id] != n {
			bad++
			if bad <= 5 {
				t.Errorf("request %s: %d statements, the log has %d between its markers", id, got[id], n)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d requests with statements, the log has %d", len(got), len(want))
	}
}
