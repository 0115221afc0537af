package detect

import "strings"

// Rule 7 of the detection model: noise is context. Driver housekeeping,
// schema set-up and bulk loads, and idle frames (isIdle in frames.go) are
// shown where they belong (the Queries pane lists every statement) but
// never become findings.

// housekeepingPrefixes are statements drivers, pools and ORMs send on
// their own: connection reset and session set-up, version and type
// introspection, pings. Fingerprints are lower-cased with literals as ?.
var housekeepingPrefixes = []string{
	"discard all", "reset all", "deallocate", "unlisten *", "close all",
	"set ", "show ", "select pg_catalog.version()", "select version()",
	"select current_schema()", "select current_database()", "select current_setting(",
	"select pg_advisory_unlock_all()", "select @@", "select database()",
	"/* ping */", "-- ping",
}

// housekeepingExact are whole statements: a ping is "select 1", but
// "select 1 from orders where …" is the application's.
var housekeepingExact = map[string]bool{"select ?": true, "select ?;": true, "select ? as ping": true, "": true}

// housekeepingFragments mark catalog introspection (asyncpg's and
// psycopg's type lookups, SQLAlchemy's dialect initialisation, Rails'
// schema cache).
var housekeepingFragments = []string{
	"from pg_catalog.pg_type", "from pg_type", "pg_catalog.pg_attribute", "from pg_catalog.pg_class",
	"from information_schema.", "from pg_catalog.pg_namespace", "from pg_catalog.pg_range",
	"pg_catalog.pg_enum", "from sqlite_master",
}

// isHousekeeping reports a statement the application did not write.
func isHousekeeping(fp string) bool {
	fp = strings.TrimSpace(fp)
	if housekeepingExact[fp] {
		return true
	}
	for _, p := range housekeepingPrefixes {
		if strings.HasPrefix(fp, p) {
			return true
		}
	}
	for _, f := range housekeepingFragments {
		if strings.Contains(fp, f) {
			return true
		}
	}
	return false
}

// isSetupStatement reports schema set-up and bulk loading: DDL, COPY,
// VACUUM/ANALYZE. A session that runs one is a migration or a load, and
// its statements are context.
func isSetupStatement(fp string) bool {
	w, _, _ := strings.Cut(strings.TrimLeft(fp, "( "), " ")
	switch w {
	case "create", "alter", "drop", "truncate", "copy", "vacuum", "analyze", "grant", "revoke", "comment", "cluster", "reindex":
		return true
	}
	return false
}

// dropNoise removes candidates about housekeeping statements: a pool's
// reset or a driver's introspection repeats with the same values in every
// request, which is not a read to cache nor a query to batch.
func dropNoise(cands []*Finding) []*Finding {
	out := cands[:0:0]
	for _, f := range cands {
		if f.Fingerprint != "" && (isHousekeeping(f.Fingerprint) || isSetupStatement(f.Fingerprint)) &&
			(f.Kind == CacheableDuplicate || f.Kind == NPlusOne || f.Kind == SlowQuery) {
			continue
		}
		out = append(out, f)
	}
	return out
}
