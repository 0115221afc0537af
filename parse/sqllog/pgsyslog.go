package sqllog

import (
	"bytes"
)

// PostgreSQL with log_destination=syslog, as rsyslog/syslog-ng write it:
//
//	Nov 27 22:11:28 db1 postgres[6046]: [3-1] 2026-11-27 22:11:28.144 UTC [6046] LOG:  duration: …
//	Nov 27 22:11:28 db1 postgres[6046]: [3-2] #011FROM t
//	2026-11-27T22:11:28.144+00:00 db1 postgres[6046]: [3-1] …   (RFC 5424 / ISO timestamps)
//
// The syslog header is removed; "[N-M]" parts after the first are the
// message's continuation lines (rsyslog writes the tab as "#011") or, with
// syslog_split_messages, pieces of one long line.

// syslogLine is one stripped syslog line.
type syslogLine struct {
	rest []byte // after the header and the "[N-M] " sequence
	part int    // M of "[N-M]", 1 when absent
	pid  []byte
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// parseSyslog strips the syslog header of l.
func parseSyslog(l []byte, s *syslogLine) bool {
	var i int
	switch {
	case len(l) > 16 && l[3] == ' ' && l[6] == ' ' && l[9] == ':' && l[12] == ':' && l[15] == ' ':
		ok := false
		for _, m := range months {
			if string(l[:3]) == m {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
		i = 16
	case len(l) > 20 && l[4] == '-' && l[10] == 'T':
		sp := bytes.IndexByte(l, ' ')
		if sp < 19 {
			return false
		}
		i = sp + 1
	default:
		return false
	}
	// host, then "ident[pid]: "
	sp := bytes.IndexByte(l[i:], ' ')
	if sp <= 0 {
		return false
	}
	i += sp + 1
	end := bytes.Index(l[i:], []byte("]: "))
	open := bytes.IndexByte(l[i:], '[')
	if end <= 0 || open <= 0 || open > end {
		return false
	}
	s.pid = l[i+open+1 : i+end]
	i += end + 3
	s.rest, s.part = l[i:], 1
	if len(s.rest) > 4 && s.rest[0] == '[' {
		if j := bytes.Index(s.rest, []byte("] ")); j > 0 {
			seq := s.rest[1:j]
			if k := bytes.IndexByte(seq, '-'); k > 0 {
				if p, n := atoi(seq[k+1:]); n > 0 {
					s.part = int(p)
				}
			}
			s.rest = s.rest[j+2:]
		} else if bytes.HasSuffix(s.rest, []byte("]")) {
			s.rest = nil
		}
	}
	return true
}

// isSyslog reports whether most lines of head carry a syslog header.
func isSyslog(head []byte) bool {
	var s syslogLine
	yes, n := 0, 0
	sniffLines(head, 50, func(l []byte) {
		if len(l) == 0 {
			return
		}
		n++
		if parseSyslog(l, &s) {
			yes++
		}
	})
	return yes > 0 && yes*2 > n
}

// stripSyslogHead returns head with the syslog headers removed and
// continuation parts dropped, for log_line_prefix inference.
func stripSyslogHead(head []byte) []byte {
	var out []byte
	var s syslogLine
	sniffLines(head, 1000, func(l []byte) {
		if parseSyslog(l, &s) && s.part == 1 {
			out = append(out, s.rest...)
			out = append(out, '\n')
		}
	})
	return out
}
