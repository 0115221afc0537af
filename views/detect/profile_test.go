package detect

import (
	"os"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

func readProfile(t *testing.T, path string) *profile.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The demo workload (cmd/hotpath/demo/workload) holds a mutex across a slow
// write in recordAudit and burns CPU in renderReport/searchCatalog.
func TestProfileFindingsOnDemoWorkload(t *testing.T) {
	dir := "../../cmd/hotpath/demo/data/workload/"
	var nps []NamedProfile
	for _, n := range []string{"cpu", "mutex", "block"} {
		nps = append(nps, NamedProfile{Profile: readProfile(t, dir+n+".pprof"), Source: "pprof"})
	}
	fs := Rank(Assemble(ProfileFindings(nps, DefaultProfileOptions()), nil), Denominator{})
	for _, f := range fs {
		t.Logf("%d %s %s %s share=%.3f conf=%s: %s | %s", f.Rank, f.Kind, f.Severity, f.Locations[0], f.Share, f.Confidence, f.Title, f.Formula)
	}
	var lock, cpu *Finding
	for _, f := range fs {
		switch {
		case f.Kind == LockContention && strings.HasSuffix(f.Locations[0].Function, "recordAudit") && lock == nil:
			lock = f
		case f.Kind == CPUHotspot && cpu == nil:
			cpu = f
		}
	}
	if lock == nil {
		t.Fatal("no lock_contention finding at recordAudit")
	}
	if lock.Severity < High {
		t.Errorf("lock contention severity %s, want ≥ high (the mutex serialises a quarter of requests)", lock.Severity)
	}
	if cpu == nil || !strings.HasPrefix(cpu.Locations[0].Function, "main.") {
		t.Errorf("cpu hotspot = %+v, want a main.* function", cpu)
	}
}
