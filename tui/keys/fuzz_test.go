package keys

import (
	"strings"
	"testing"
	"unicode/utf8"

	"hotpath/views/termsafe"
)

// FuzzParse feeds key-binding files to the loader: it never panics, a
// file it accepts binds only keys ValidKey accepts and that help and the
// status line can draw as they are, no key is bound to two actions, and an
// error's text (which reaches stderr) is one valid line.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"down": ["j", "down"], "quit": "Q", "copy": ["y", "c"]}`,
		`{"help": "space", "filter": ["/", "ctrl+f"], "up": "alt+k"}`,
		`{"down": ["\u009b"]}`, `{"quit": "\u202e"}`, `{"copy": ["\u001b]52;c;AAAA\u0007"]}`,
		`{"down": []}`, `{"down": 3}`, `{"fliter": "/"}`, `{"copy": "c", "quit": ["c"]}`,
		`{"down": {"a": "` + "\xc2\x9b\xe2\x80\xae" + `"}}`, `[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]`,
		`{"down": "` + strings.Repeat("é", 30) + `"}`, "\xff\xfe{", `{"next_match": "f20", "prev_match": "f21"}`,
		// past 1 MiB, and nested deeper than encoding/json allows
		`{"down": "` + strings.Repeat("\u009b", 1<<19) + `"}`, `{"down": ` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + `}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := Parse(b)
		if err != nil {
			msg := err.Error()
			if !utf8.ValidString(msg) || strings.Contains(msg, "\n") || termsafe.Line(msg) != msg {
				t.Fatalf("error is not one clean line: %q", msg)
			}
			return
		}
		owner := map[string]string{}
		for _, a := range actions {
			bd := a.get(k)
			if len(bd.Keys()) == 0 {
				t.Fatalf("%s has no key", a.name)
			}
			for _, key := range bd.Keys() {
				if err := ValidKey(key); err != nil {
					t.Fatalf("%s bound to invalid key %q: %v", a.name, key, err)
				}
				if key != " " && termsafe.String(key) != key {
					t.Fatalf("%s bound to %q, which the terminal cannot show as it is", a.name, key)
				}
				if o, dup := owner[key]; dup && isRebound(b, a.name) && isRebound(b, o) {
					t.Fatalf("key %q bound to %s and %s", key, o, a.name)
				}
				owner[key] = a.name
			}
			if h := bd.Help(); termsafe.String(h.Key) != h.Key {
				t.Fatalf("help key %q unsafe", h.Key)
			}
		}
	})
}

// isRebound reports whether the file names action (Parse checks clashes
// among rebound actions; a default key may stay beside a rebound one).
func isRebound(doc []byte, action string) bool {
	return strings.Contains(string(doc), `"`+action+`"`)
}
