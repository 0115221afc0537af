package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"hotpath/views/termsafe"
)

// ConfigPath is where hotpath looks for key bindings when no --keys flag is
// given: $XDG_CONFIG_HOME/hotpath/keys.json (~/.config/… without it).
func ConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "hotpath", "keys.json")
}

// LoadFile reads key bindings from path over the defaults. When optional is
// true a missing file is not an error (the config file); a file named with
// --keys must exist.
//
// The file is a JSON object of action → keys, a key being a string or a
// list of strings, as bubbletea names keys ("j", "down", "ctrl+d", "shift+tab",
// " " or "space"):
//
//	{"down": ["j", "down"], "quit": "Q", "copy": ["y", "c"]}
//
// Actions not named keep their default keys. Errors name the file and the
// bad entry.
func LoadFile(path string, optional bool) (*KeyMap, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if optional && errors.Is(err, fs.ErrNotExist) {
			return Default(), nil
		}
		return nil, fmt.Errorf("key bindings: %w", err)
	}
	k, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("key bindings %s: %w", path, err)
	}
	return k, nil
}

// Parse reads a keys.json document over the defaults.
func Parse(b []byte) (*KeyMap, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a JSON object of action → keys: %v", err)
	}
	byName := map[string]action{}
	for _, a := range actions {
		byName[a.name] = a
	}
	k := Default()
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	owner := map[string]string{} // key → action, among rebound actions
	for _, name := range names {
		a, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("%q: unknown action (known: %s)", name, strings.Join(Actions(), ", "))
		}
		var ks []string
		var one string
		if err := json.Unmarshal(raw[name], &one); err == nil {
			ks = []string{one}
		} else if err := json.Unmarshal(raw[name], &ks); err != nil {
			return nil, fmt.Errorf("%q: want a key or a list of keys, got %s", name, truncate(string(raw[name])))
		}
		if len(ks) == 0 {
			return nil, fmt.Errorf("%q: no keys (an action must keep at least one key)", name)
		}
		for i, s := range ks {
			if s == "space" {
				ks[i], s = " ", " "
			}
			if err := ValidKey(s); err != nil {
				return nil, fmt.Errorf("%q: key %q: %v", name, truncate(s), err)
			}
			if other, dup := owner[s]; dup {
				return nil, fmt.Errorf("%q: key %q is also bound to %q", name, s, other)
			}
			owner[s] = name
		}
		*a.get(k) = binding(ks, a.desc)
	}
	return k, nil
}

// truncate shortens a value quoted in an error to 40 bytes, on a rune
// boundary, and sanitises it: the file's bytes go to stderr.
func truncate(s string) string {
	if len(s) > 40 {
		n := 40
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return termsafe.Line(s)
}

var named = map[string]bool{
	"up": true, "down": true, "left": true, "right": true, "enter": true, "esc": true, "tab": true,
	"shift+tab": true, "backspace": true, "delete": true, "insert": true, "home": true, "end": true,
	"pgup": true, "pgdown": true, " ": true, "ctrl+home": true, "ctrl+end": true,
	"shift+up": true, "shift+down": true, "shift+left": true, "shift+right": true,
	"ctrl+up": true, "ctrl+down": true, "ctrl+left": true, "ctrl+right": true,
	"ctrl+pgup": true, "ctrl+pgdown": true, "ctrl+@": true, "ctrl+\\": true, "ctrl+]": true,
	"ctrl+^": true, "ctrl+_": true,
}

// ValidKey reports whether s names a key bubbletea can deliver: a single
// printable character, a named key, ctrl+letter, alt+key, or f1–f20.
func ValidKey(s string) error {
	if strings.HasPrefix(s, "alt+") && len(s) > 4 {
		return ValidKey(s[4:])
	}
	if named[s] {
		return nil
	}
	if utf8.RuneCountInString(s) == 1 {
		r, _ := utf8.DecodeRuneInString(s)
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return errors.New("a control character; write it as ctrl+x")
		}
		if !termsafe.Safe(r) {
			// a C1 control, a bidi override, a zero-width or private-use
			// character: help and the status line could not show it
			return fmt.Errorf("U+%04X is not a printable character", r)
		}
		return nil
	}
	if strings.HasPrefix(s, "ctrl+") && len(s) == 6 && s[5] >= 'a' && s[5] <= 'z' {
		return nil
	}
	if len(s) >= 2 && s[0] == 'f' {
		var n int
		if _, err := fmt.Sscanf(s[1:], "%d", &n); err == nil && n >= 1 && n <= 20 && fmt.Sprint(n) == s[1:] {
			return nil
		}
	}
	return errors.New(`not a key name (use a character, or up, down, enter, esc, tab, shift+tab, pgup, pgdown, home, end, space, ctrl+a…, alt+x, f1…)`)
}
