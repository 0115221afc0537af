package clipboard

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func TestOSC52WritesSanitisedText(t *testing.T) {
	var b bytes.Buffer
	if err := OSC52(&b)("main.(*server).handle\x1b]52;c;ZXZpbA==\x07\u202e"); err != nil {
		t.Fatal(err)
	}
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte("main.(*server).handle")) + "\x07"
	if b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
	if strings.Count(b.String(), "\x1b") != 1 {
		t.Error("exactly one escape sequence: ours")
	}
}

func TestSanitizeKeepsLines(t *testing.T) {
	if got := Sanitize("SELECT 1\nFROM t\x1b[2J"); got != "SELECT 1\nFROM t" {
		t.Errorf("Sanitize = %q", got)
	}
}
