// Package applog reads Python application logs written through the
// logging module with any Formatter (or as JSON lines, as python-json-logger
// and structlog write them): it frames records, infers the layout from the
// first ones, and hands each record to the reader of its logger —
// SQLAlchemy's engine echo and pool debug records and Django's
// django.db.backends lines become statements and connection events,
// asyncio's slow-callback warnings and aiohttp's unclosed sessions become
// event-loop stalls, access loggers' records become server spans, and the
// other loggers' records are counted and left.
//
// A file of one kind keeps that kind's format name ("sqlalchemy", "django",
// "asyncio-log"); a file of several is "python-log".
package applog

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"sync"
	"time"

	"hotpath/parse"
)

// Formats lists the Python application-log formats, reading access
// records with DefaultAccess.
func Formats() []parse.Format { return FormatsWith(DefaultAccess) }

// FormatsWith lists the formats, reading access loggers' records with
// access (nil: count them only).
func FormatsWith(access AccessReader) []parse.Format {
	dec := func(ctx context.Context, r io.Reader, src *parse.Source, sink parse.Sink, _ parse.Options) error {
		return decode(ctx, r, src, sink, access)
	}
	mk := func(name string) parse.Format {
		family := "sql"
		if name == "asyncio-log" {
			family = "eventloop"
		} else if name == "python-log" {
			family = "applog"
		}
		return parse.Format{Name: name, Family: family, Sniff: func(head []byte) bool {
			info := analyze(head)
			return info != nil && info.format() == name
		}, Decode: dec}
	}
	return []parse.Format{mk("sqlalchemy"), mk("django"), mk("asyncio-log"), mk("python-log")}
}

// headInfo is what the first SniffSize bytes say about a log.
type headInfo struct {
	json  bool
	ly    *layout
	named bool // records carry their logger's name
	// groups counts records of the kinds hotpath reads, by format.
	sa, django, eventloop, access int
	records, lines                int
}

func (h *headInfo) format() string {
	kinds, name := 0, "python-log"
	for _, k := range []struct {
		n    int
		name string
	}{{h.sa, "sqlalchemy"}, {h.django, "django"}, {h.eventloop, "asyncio-log"}, {h.access, "python-log"}} {
		if k.n > 0 {
			kinds++
			name = k.name
		}
	}
	if kinds != 1 {
		return "python-log"
	}
	return name
}

func (h *headInfo) describe() string {
	switch {
	case h.json:
		return "Python logging as JSON lines (one record per line; keys name/logger, message/msg/event, asctime/timestamp, levelname/level, threadName, taskName, process)"
	case h.ly.bare:
		return "Python logging without a record prefix (logging's last-resort handler): records told by their message"
	}
	s := "Python logging layout " + h.ly.String()
	if df := h.ly.dateFormat(); df != "" {
		s += " (asctime as " + df + ")"
	}
	s += ", inferred from the first records"
	if !h.named {
		s += "; it has no %(name)s, so records are told by their message"
	}
	return s
}

// The formats sniff the same head one after another: remember the last
// analysis (per content, since inputs load concurrently).
var cache struct {
	sync.Mutex
	n    int
	sum  uint64
	info *headInfo
}

func analyze(head []byte) *headInfo {
	h := fnv.New64a()
	h.Write(head)
	sum := h.Sum64()
	cache.Lock()
	if cache.n == len(head) && cache.sum == sum && cache.n > 0 {
		info := cache.info
		cache.Unlock()
		return info
	}
	cache.Unlock()
	info := analyzeHead(head)
	cache.Lock()
	cache.n, cache.sum, cache.info = len(head), sum, info
	cache.Unlock()
	return info
}

// headLines splits head into lines, dropping a last line the sniff window
// cut.
func headLines(head []byte, max int) [][]byte {
	if len(head) == parse.SniffSize {
		if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
			head = head[:i]
		}
	}
	var out [][]byte
	for len(head) > 0 && len(out) < max {
		i := bytes.IndexByte(head, '\n')
		var l []byte
		if i < 0 {
			l, head = head, nil
		} else {
			l, head = head[:i], head[i+1:]
		}
		out = append(out, bytes.TrimSuffix(l, []byte{'\r'}))
	}
	return out
}

func analyzeHead(head []byte) *headInfo {
	lines := headLines(head, 2000)
	year := time.Now().UTC().Year()
	nonEmpty := 0
	firstText := -1
	for i, l := range lines {
		if len(bytes.TrimSpace(l)) > 0 {
			nonEmpty++
			if firstText < 0 {
				firstText = i
			}
		}
	}
	if nonEmpty == 0 {
		return nil
	}
	if t := bytes.TrimLeft(lines[firstText], " \t"); len(t) > 0 && t[0] == '{' {
		return analyzeJSON(lines, nonEmpty)
	}
	named, unnamed := collectSamples(lines, year)
	// Both readings are tried when both found records (a message may name
	// a class of a known package, "<asyncio.TransportSocket …>"): the one
	// that frames more records of the kinds hotpath reads wins.
	var best *headInfo
	if len(named) > 0 {
		if ly := inferNamed(named, year); ly != nil {
			best = evaluate(lines, ly, true, nonEmpty, year)
		}
	}
	if len(unnamed) > 0 {
		if ly := inferUnnamed(unnamed); ly != nil {
			if info := evaluate(lines, ly, false, nonEmpty, year); info != nil && (best == nil || info.known() > best.known()) {
				best = info
			}
		}
	}
	return best
}

func (h *headInfo) known() int { return h.sa + h.django + h.eventloop + h.access }

// evaluate frames the head's lines with ly and counts what it finds; nil
// when that is not a log.
func evaluate(lines [][]byte, ly *layout, isNamed bool, nonEmpty, year int) *headInfo {
	info := &headInfo{ly: ly, named: isNamed, lines: nonEmpty}
	var f fields
	for _, l := range lines {
		var msg, name []byte
		switch {
		case ly.bare:
			at, fam, ok := signatureAt(l)
			if !ok || at != 0 || fam != famAsyncio {
				continue
			}
			msg = l
		case ly.match(l, &f, year):
			msg, name = f.msg, f.name
		default:
			continue
		}
		info.records++
		var fam family
		if isNamed {
			fam = familyOf(name)
		} else if at, sf, ok := signatureAt(msg); ok && at == 0 {
			fam = sf
		} else {
			fam = familyOfMessage(msg)
		}
		info.count(fam, msg)
	}
	// A prose or source file quoting a log line or two is not a log.
	if info.records == 0 || info.records*10 < nonEmpty {
		return nil
	}
	if !isNamed && info.known() == 0 {
		return nil
	}
	return info
}

func (h *headInfo) count(fam family, msg []byte) {
	switch fam {
	case famSAEngine, famSAPool:
		h.sa++
	case famDjango:
		h.django++
	case famAsyncio:
		h.eventloop++
	case famWarnings:
		if bytes.Contains(firstLine(msg), []byte("ResourceWarning: Unclosed ")) {
			h.eventloop++
		}
	case famAccess:
		h.access++
	}
}

func analyzeJSON(lines [][]byte, nonEmpty int) *headInfo {
	info := &headInfo{json: true, lines: nonEmpty, named: true}
	var f fields
	withName, anchors := 0, 0
	for _, l := range lines {
		if !jsonRecord(l, &f) {
			continue
		}
		info.records++
		if len(f.name) > 0 {
			withName++
			if isAnchor(f.name) {
				anchors++
			}
		}
	}
	if info.records*2 < nonEmpty || info.records == 0 {
		return nil
	}
	info.named = withName*2 >= info.records
	for _, l := range lines {
		if !jsonRecord(l, &f) {
			continue
		}
		if info.named {
			info.count(familyOf(f.name), f.msg)
		} else {
			info.count(familyOfMessage(f.msg), f.msg)
		}
	}
	if info.sa+info.django+info.eventloop+info.access == 0 && anchors == 0 {
		return nil
	}
	return info
}

// String is for tests and errors.
func (h *headInfo) String() string {
	return fmt.Sprintf("%s: %d records of %d lines (sa %d, django %d, eventloop %d, access %d)", h.describe(), h.records, h.lines, h.sa, h.django, h.eventloop, h.access)
}
