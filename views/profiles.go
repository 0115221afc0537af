package views

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// ProfileGroup is the merge of every collected profile with the same sample
// types (several CPU profiles of one service become one).
type ProfileGroup struct {
	Profile *profile.Profile
	Sources []string
	Format  string // format of the first source ("pprof", "folded" …)
}

// SampleType names one value of one profile group, as "type/unit".
type SampleType struct {
	Group int
	Index int
	Type  string
	Unit  string
}

func (s SampleType) String() string { return s.Type + "/" + s.Unit }

// GroupProfiles merges profiles whose sample types match. Profiles that
// cannot be merged stay in groups of their own; the returned warnings say why.
func GroupProfiles(sps []SourceProfile) ([]ProfileGroup, []string) {
	var groups []ProfileGroup
	var warnings []string
	index := map[string]int{}
	for _, sp := range sps {
		key := sampleTypesKey(sp.Profile)
		gi, ok := index[key]
		if !ok {
			index[key] = len(groups)
			groups = append(groups, ProfileGroup{Profile: sp.Profile, Sources: []string{sp.Source.Path}, Format: sp.Source.Format()})
			continue
		}
		merged, err := profile.Merge([]*profile.Profile{groups[gi].Profile, sp.Profile})
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: not merged with %s: %v", sp.Source.Path, strings.Join(groups[gi].Sources, ", "), err))
			groups = append(groups, ProfileGroup{Profile: sp.Profile, Sources: []string{sp.Source.Path}, Format: sp.Source.Format()})
			continue
		}
		groups[gi].Profile = merged
		groups[gi].Sources = append(groups[gi].Sources, sp.Source.Path)
	}
	return groups, warnings
}

func sampleTypesKey(p *profile.Profile) string {
	var b strings.Builder
	for _, st := range p.SampleType {
		b.WriteString(st.Type + "/" + st.Unit + ",")
	}
	if p.PeriodType != nil {
		b.WriteString("period:" + p.PeriodType.Type + "/" + p.PeriodType.Unit)
	}
	return b.String()
}

// SampleTypes lists every sample type of every group.
func SampleTypes(groups []ProfileGroup) []SampleType {
	var out []SampleType
	for gi, g := range groups {
		for i, st := range g.Profile.SampleType {
			out = append(out, SampleType{Group: gi, Index: i, Type: st.Type, Unit: st.Unit})
		}
	}
	return out
}

// preferredTypes orders sample types for the default view: time first,
// because "where does the time go" is the question.
var preferredTypes = []string{"cpu", "wall", "delay", "contentions", "inuse_space", "alloc_space", "samples", "goroutine"}

// ResolveSampleType picks the sample type named by want, as pprof's
// -sample_index does: a type name ("alloc_space", "cpu", "sync/delay"), a
// "type/unit" pair, or a number indexing the first group's types. Empty want
// picks a sensible default: the first group's default sample type, preferring
// CPU time over counts.
func ResolveSampleType(groups []ProfileGroup, want string) (SampleType, error) {
	all := SampleTypes(groups)
	if len(all) == 0 {
		return SampleType{}, fmt.Errorf("no profiles loaded")
	}
	if want == "" {
		return defaultSampleType(groups, all), nil
	}
	if n, err := strconv.Atoi(want); err == nil {
		if n >= 0 && n < len(groups[0].Profile.SampleType) {
			return all[n], nil
		}
		return SampleType{}, fmt.Errorf("sample index %d out of range: the profile has %d sample types (%s)", n, len(groups[0].Profile.SampleType), sampleTypeList(all))
	}
	for _, st := range all {
		if st.Type == want || st.String() == want {
			return st, nil
		}
	}
	return SampleType{}, fmt.Errorf("no sample type %q; loaded profiles have %s", want, sampleTypeList(all))
}

func defaultSampleType(groups []ProfileGroup, all []SampleType) SampleType {
	best, bestRank := all[0], len(preferredTypes)+1
	for gi, g := range groups {
		def := len(g.Profile.SampleType) - 1 // pprof's default: the last type
		if g.Profile.DefaultSampleType != "" {
			for i, st := range g.Profile.SampleType {
				if st.Type == g.Profile.DefaultSampleType {
					def = i
				}
			}
		}
		st := SampleType{Group: gi, Index: def, Type: g.Profile.SampleType[def].Type, Unit: g.Profile.SampleType[def].Unit}
		rank := len(preferredTypes)
		for r, p := range preferredTypes {
			if st.Type == p || strings.HasSuffix(st.Type, "/"+p) {
				rank = r
				break
			}
		}
		if rank < bestRank {
			best, bestRank = st, rank
		}
	}
	return best
}

func sampleTypeList(all []SampleType) string {
	names := make([]string, len(all))
	for i, st := range all {
		names[i] = st.String()
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
