package keys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func TestParseRebinds(t *testing.T) {
	k, err := Parse([]byte(`{"down": ["x", "down"], "quit": "Q", "copy": ["c", "space"]}`))
	if err != nil {
		t.Fatal(err)
	}
	x := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")}
	if !key.Matches(x, k.Down) {
		t.Error("x should move down")
	}
	if key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")}, k.Down) {
		t.Error("j is no longer bound to down")
	}
	if h := k.Quit.Help(); h.Key != "Q" || h.Desc != "quit" {
		t.Errorf("help follows the binding: %+v", h)
	}
	if !key.Matches(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune(" ")}, k.Copy) {
		t.Error("space should copy")
	}
	if !key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("k")}, k.Up) {
		t.Error("unnamed actions keep their defaults")
	}
}

func TestParseErrorsNameTheEntry(t *testing.T) {
	for doc, want := range map[string]string{
		`{"fliter": "/"}`:                 `"fliter": unknown action`,
		`{"down": []}`:                    `"down": no keys`,
		`{"down": 3}`:                     `"down": want a key or a list of keys`,
		`{"down": ["ctrl+shift+meta+x"]}`: `"down": key "ctrl+shift+meta+x": not a key name`,
		`{"down": ["\u0007"]}`:            `a control character`,
		`{"copy": "c", "quit": ["c"]}`:    `key "c" is also bound to "copy"`,
		`["down"]`:                        `not a JSON object`,
	} {
		_, err := Parse([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to say %q", doc, err, want)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(bad, []byte(`{"up": ["k"], "sandwhich": "S"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(bad, true)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), `"sandwhich"`) {
		t.Errorf("error must name the file and the entry: %v", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.json"), true); err != nil {
		t.Errorf("a missing config file is not an error: %v", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.json"), false); err == nil {
		t.Error("a missing --keys file is an error")
	}
	t.Setenv("XDG_CONFIG_HOME", dir)
	if got := ConfigPath(); got != filepath.Join(dir, "hotpath", "keys.json") {
		t.Errorf("ConfigPath = %s", got)
	}
}

func TestValidKey(t *testing.T) {
	for _, k := range []string{"a", "G", "/", "?", "é", "up", "shift+tab", "ctrl+d", "alt+x", "alt+enter", "f5", "f12", " ", "pgdown"} {
		if err := ValidKey(k); err != nil {
			t.Errorf("%q: %v", k, err)
		}
	}
	for _, k := range []string{"", "ctrl+", "f0", "f99", "foo", "\x1b", "ctrl+ab", "alt+", "\u009b", "\u202e", "alt+\u200f", "\u200b", "\ue000"} {
		if ValidKey(k) == nil {
			t.Errorf("%q should be invalid", k)
		}
	}
}

func TestDefaultsHaveHelpAndNoClash(t *testing.T) {
	k := Default()
	seen := map[string]string{}
	for _, a := range actions {
		b := a.get(k)
		if b.Help().Key == "" || b.Help().Desc == "" {
			t.Errorf("%s has no help", a.name)
		}
		for _, key := range b.Keys() {
			if other, ok := seen[key]; ok {
				t.Errorf("key %q bound to %s and %s", key, other, a.name)
			}
			seen[key] = a.name
		}
	}
}
