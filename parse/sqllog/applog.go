package sqllog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"hotpath/parse"
)

type recDecoder struct {
	em      *emitter
	src     *parse.Source
	in      interner
	tp      timeParser
	st      parse.Statement
	text    textBuf
	params  params
	pending bool
}

// ---------------------------------------------------------------- Rails

func sniffRails(head []byte) bool {
	n := 0
	var buf []byte
	sniffLines(head, 1000, func(l []byte) {
		buf = stripANSI(buf[:0], l)
		if _, _, _, _, ok := railsLine(buf); ok {
			n++
		}
	})
	return n > 0
}

// stripANSI removes CSI escape sequences ("\x1b[1m\x1b[36m").
func stripANSI(dst, l []byte) []byte {
	if bytes.IndexByte(l, 0x1b) < 0 {
		return append(dst, l...)
	}
	for i := 0; i < len(l); i++ {
		if l[i] == 0x1b && i+1 < len(l) && l[i+1] == '[' {
			j := i + 2
			for j < len(l) && (l[j] >= '0' && l[j] <= '9' || l[j] == ';') {
				j++
			}
			if j < len(l) {
				i = j
				continue
			}
		}
		dst = append(dst, l[i])
	}
	return dst
}

// railsLine reads "  User Load (0.4ms)  SELECT …  [["id", 1]]" into name,
// duration, SQL and binds.
func railsLine(l []byte) (name []byte, dur time.Duration, sql, binds []byte, ok bool) {
	i := bytes.Index(l, []byte("ms)  "))
	if i < 0 {
		return nil, 0, nil, nil, false
	}
	open := bytes.LastIndex(l[:i], []byte("("))
	if open < 0 {
		return nil, 0, nil, nil, false
	}
	d, n, good := parseDecimal(l[open+1:i], time.Millisecond)
	if !good || open+1+n != i {
		return nil, 0, nil, nil, false
	}
	name = bytes.TrimSpace(l[:open])
	if k := bytes.LastIndex(name, []byte(" : ")); k >= 0 { // Logger's "DEBUG -- : "
		name = bytes.TrimSpace(name[k+3:])
	} else if k := bytes.LastIndex(name, []byte("] ")); k >= 0 { // tagged logging
		name = bytes.TrimSpace(name[k+2:])
	}
	sql = l[i+len("ms)  "):]
	if k := bytes.LastIndex(sql, []byte("  [[")); k >= 0 && bytes.HasSuffix(sql, []byte("]")) {
		binds = sql[k+2:]
		sql = sql[:k]
	}
	return name, d, bytes.TrimSpace(sql), binds, len(sql) > 0
}

func decodeRails(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, _ parse.Options) error {
	d := &recDecoder{em: newEmitter(ctx, src, sink), src: src}
	d.tp.src = src
	sc := parse.NewLineScanner(r, maxLine)
	var buf []byte
	for {
		l, ok, err := sc.Next()
		if err != nil {
			d.em.flush()
			return fmt.Errorf("line %d: %w", sc.Line()+1, err)
		}
		if !ok {
			break
		}
		if err := d.em.tick(); err != nil {
			d.em.flush()
			return err
		}
		line := sc.Line()
		buf = stripANSI(buf[:0], l)
		name, dur, sql, binds, ok := railsLine(buf)
		if !ok {
			if len(bytes.TrimSpace(buf)) > 0 {
				src.SkipLine(line, "line that is not an ActiveRecord SQL line")
			}
			continue
		}
		if bytes.HasPrefix(name, []byte("CACHE ")) {
			src.SkipLine(line, "ActiveRecord query-cache hit (not sent to the database)")
			continue
		}
		st := &d.st
		*st = parse.Statement{Duration: dur, HasDuration: true, Rows: -1, Line: line}
		// Logger format: "D, [2026-11-27T22:59:11.801202 #13285] DEBUG -- : "
		if k := bytes.Index(buf, []byte(", [")); k >= 0 && k < 4 {
			if t, n, ok := d.tp.pgTime(buf[k+3:]); ok {
				st.Start = t.Add(-dur)
				if rest := buf[k+3+n:]; bytes.HasPrefix(rest, []byte(" #")) {
					pid, m := atoi(rest[2:])
					if m > 0 {
						st.Session = d.in.get(rest[2 : 2+m])
					}
					_ = pid
				}
			}
		}
		d.text.reset()
		d.text.add(sql)
		st.Text = bstr(d.text.b)
		st.Truncated = d.text.truncated || sc.TooLong()
		if len(binds) > 0 {
			d.params.reset()
			d.params.add(binds)
			st.Params = d.params.strings()
		}
		if hasComment(d.text.b) {
			st.Tags = ExtractTags(d.text.b)
		}
		d.em.stmt(st)
	}
	d.em.flush()
	return nil
}
