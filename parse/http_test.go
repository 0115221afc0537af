package parse

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestURLTimeoutsRedirectsAndErrors: a body that stalls after the headers
// says it timed out (it said "use of closed network connection"); a
// redirect to another origin is refused, one within the origin followed;
// a server's error page is quoted short, with its control bytes escaped.
func TestURLTimeoutsRedirectsAndErrors(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "a\nb\n")
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/stall":
			fmt.Fprint(w, "line 1\nline 2\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done() // the client gave up
		case "/silent":
			<-r.Context().Done()
		case "/lines":
			for i := range 7 {
				fmt.Fprintf(w, "%d\n", i)
			}
		case "/here":
			http.Redirect(w, r, "/lines", http.StatusFound)
		case "/away":
			http.Redirect(w, r, other.URL+"/x?token=secret", http.StatusFound)
		case "/error":
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "\x1b]52;c;aGk=\x07overloaded "+strings.Repeat("é", 300)+"\nsecond line")
		}
	}))
	defer srv.Close()

	cases := []struct {
		path  string
		lines int64
		err   string // "" : loads
	}{
		{"/stall", 0, "timed out after 500ms with 14 bytes of the response read (the server stopped sending; -timeout waits longer)"},
		{"/silent", 0, "timed out after 500ms waiting for the server to answer"},
		{"/here", 7, ""},
		{"/away", 0, "the server redirected to " + other.URL + "/x, another origin than " + srv.URL + ": not followed"},
		{"/error", 0, `server answered 503 Service Unavailable: "\x1b]52;c;aGk=\aoverloaded éé`},
	}
	for _, c := range cases {
		in := Expand([]string{srv.URL + c.path}, nil)[0]
		var lines int64
		start := time.Now()
		err := Load(context.Background(), in, []Format{countingFormat(&lines)}, &memSink{}, Options{HTTPTimeout: 500 * time.Millisecond})
		t.Logf("%s: %d lines, err %v, after %s", c.path, lines, err, time.Since(start).Round(time.Millisecond))
		if c.err == "" {
			if err != nil || lines != c.lines {
				t.Errorf("%s: %d lines (the server wrote %d), err %v", c.path, lines, c.lines, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: err %v\nwant it to hold %q", c.path, err, c.err)
			continue
		}
		if strings.ContainsAny(err.Error(), "\x1b\x07\n") || len(err.Error()) > 400 {
			t.Errorf("%s: the error holds raw control bytes or is %d bytes long", c.path, len(err.Error()))
		}
	}
}
