package applog

import "time"

// timeKind is one of the ways Python's logging writes a record's time:
// asctime with the default or a custom datefmt, ISO 8601, %(created)f.
type timeKind uint8

const (
	tNone   timeKind = iota
	tISO             // 2026-11-27 23:33:01,372 · 2026-11-27T23:33:01.372+00:00 · … Z
	tYMD             // 2026/11/27 23:33:01
	tDMonY           // 27/Nov/2026 23:33:01 · 27/Nov/2026:23:33:01 +0000
	tMDY             // 11/27/2026 11:33:01 PM (the logging HOWTO's datefmt)
	tDMY             // 27.11.2026 23:33:01
	tSyslog          // Nov 27 23:33:01 (no year)
	tEpoch           // 1795817592.144123 (%(created)f)
	tClock           // 23:33:01,372 (datefmt="%H:%M:%S": no date)
)

var timeKindNames = [...]string{tNone: "", tISO: "%Y-%m-%d %H:%M:%S", tYMD: "%Y/%m/%d %H:%M:%S",
	tDMonY: "%d/%b/%Y %H:%M:%S", tMDY: "%m/%d/%Y %I:%M:%S %p", tDMY: "%d.%m.%Y %H:%M:%S",
	tSyslog: "%b %d %H:%M:%S", tEpoch: "%(created)f", tClock: "%H:%M:%S"}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func d2(b []byte, i int) (int, bool) {
	if i+2 > len(b) || b[i] < '0' || b[i] > '9' || b[i+1] < '0' || b[i+1] > '9' {
		return 0, false
	}
	return int(b[i]-'0')*10 + int(b[i+1]-'0'), true
}

func d4(b []byte, i int) (int, bool) {
	hi, ok1 := d2(b, i)
	lo, ok2 := d2(b, i+2)
	return hi*100 + lo, ok1 && ok2
}

func monthAt(b []byte, i int) (int, bool) {
	if i+3 > len(b) {
		return 0, false
	}
	for k, m := range months {
		if b[i] == m[0] && b[i+1]|0x20 == m[1] && b[i+2]|0x20 == m[2] {
			return k + 1, true
		}
	}
	return 0, false
}

// clockAt parses "HH:MM:SS" with an optional ",mmm"/".ffffff" fraction.
func clockAt(b []byte, i int) (secs int64, nsec int64, n int, ok bool) {
	h, ok1 := d2(b, i)
	m, ok2 := d2(b, i+3)
	s, ok3 := d2(b, i+6)
	if !ok1 || !ok2 || !ok3 || b[i+2] != ':' || b[i+5] != ':' || h > 24 || m > 59 || s > 60 {
		return 0, 0, 0, false
	}
	n = i + 8
	if n+1 < len(b) && (b[n] == '.' || b[n] == ',') && b[n+1] >= '0' && b[n+1] <= '9' {
		n++
		scale := int64(1e8)
		for n < len(b) && b[n] >= '0' && b[n] <= '9' {
			nsec += int64(b[n]-'0') * scale
			scale /= 10
			n++
		}
	}
	return int64(h*3600 + m*60 + s), nsec, n - i, true
}

// zoneAt reads an optional zone after a clock: "Z", "+0000", "+00:00",
// " +0000", " UTC", " GMT". Other zone names are not offsets we can know
// and are left to the layout as literal text.
func zoneAt(b []byte, i int) (off int64, n int) {
	j := i
	if j < len(b) && b[j] == 'Z' {
		return 0, 1
	}
	if j+1 < len(b) && b[j] == ' ' && (b[j+1] == '+' || b[j+1] == '-' || b[j+1] == 'U' || b[j+1] == 'G') {
		j++
	}
	if j+3 <= len(b) && (string(b[j:j+3]) == "UTC" || string(b[j:j+3]) == "GMT") && (j+3 == len(b) || !isWordByte(b[j+3])) {
		return 0, j + 3 - i
	}
	if j < len(b) && (b[j] == '+' || b[j] == '-') {
		h, ok := d2(b, j+1)
		if !ok || h > 14 {
			return 0, 0
		}
		k := j + 3
		if k < len(b) && b[k] == ':' {
			k++
		}
		m, ok := d2(b, k)
		if !ok {
			return 0, 0
		}
		off = int64(h*3600 + m*60)
		if b[j] == '-' {
			off = -off
		}
		return off, k + 2 - i
	}
	return 0, 0
}

// daysFromCivil is days since 1970-01-01 of a proleptic Gregorian date
// (H. Hinnant's algorithm): no allocation, no time zone database.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func validDate(y, m, d int) bool {
	return y >= 1970 && y < 2200 && m >= 1 && m <= 12 && d >= 1 && d <= 31
}

// timeAt parses a timestamp of kind k at the start of b (tNone: any kind)
// and returns its kind and length. Times without a zone are read as UTC,
// as the rest of hotpath reads them. syslogYear supplies the year the
// syslog form lacks; tClock gets day 0 (1970-01-01) and the caller rolls
// days over.
func timeAt(b []byte, k timeKind, syslogYear int) (time.Time, timeKind, int, bool) {
	if len(b) < 8 {
		return time.Time{}, tNone, 0, false
	}
	try := func(want timeKind) bool { return k == tNone || k == want }
	var y, mo, d, i int
	kind := tNone
	c := b[0]
	switch {
	case c >= '0' && c <= '9':
		if y4, ok := d4(b, 0); ok && len(b) >= 10 && (b[4] == '-' || b[4] == '/') && b[7] == b[4] {
			m2, ok1 := d2(b, 5)
			dd, ok2 := d2(b, 8)
			if ok1 && ok2 && len(b) > 11 && (b[10] == ' ' || b[10] == 'T' && b[4] == '-') {
				if b[4] == '-' && try(tISO) {
					kind = tISO
				} else if b[4] == '/' && try(tYMD) {
					kind = tYMD
				}
				y, mo, d, i = y4, m2, dd, 11
			}
		} else if dd, ok := d2(b, 0); ok && len(b) > 11 && b[2] == '/' {
			if m3, ok := monthAt(b, 3); ok && b[6] == '/' && try(tDMonY) {
				if y4, ok := d4(b, 7); ok && (b[11] == ':' || b[11] == ' ') {
					kind, y, mo, d, i = tDMonY, y4, m3, dd, 12
				}
			} else if m2, ok := d2(b, 3); ok && b[5] == '/' && try(tMDY) {
				if y4, ok := d4(b, 6); ok && len(b) > 10 && b[10] == ' ' {
					kind, y, mo, d, i = tMDY, y4, dd, m2, 11
				}
			}
		} else if dd, ok := d2(b, 0); ok && len(b) > 11 && b[2] == '.' && b[5] == '.' && try(tDMY) {
			m2, ok1 := d2(b, 3)
			y4, ok2 := d4(b, 6)
			if ok1 && ok2 && b[10] == ' ' {
				kind, y, mo, d, i = tDMY, y4, m2, dd, 11
			}
		}
		if kind == tNone && try(tClock) && b[2] == ':' {
			if secs, nsec, n, ok := clockAt(b, 0); ok && (n == len(b) || !isWordByte(b[n]) || b[n] == '.') {
				return time.Unix(secs, nsec).UTC(), tClock, n, true
			}
		}
		if kind == tNone && try(tEpoch) {
			return epochAt(b)
		}
	case c >= 'A' && c <= 'Z' && try(tSyslog):
		if m3, ok := monthAt(b, 0); ok && len(b) > 15 && b[3] == ' ' {
			j := 4
			if b[j] == ' ' {
				j++
			}
			dd := 0
			for j < len(b) && b[j] >= '0' && b[j] <= '9' && dd < 100 {
				dd = dd*10 + int(b[j]-'0')
				j++
			}
			if j < len(b) && b[j] == ' ' && dd >= 1 && dd <= 31 {
				kind, y, mo, d, i = tSyslog, syslogYear, m3, dd, j+1
			}
		}
	}
	if kind == tNone || !validDate(y, mo, d) {
		return time.Time{}, tNone, 0, false
	}
	secs, nsec, n, ok := clockAt(b, i)
	if !ok {
		return time.Time{}, tNone, 0, false
	}
	i += n
	if kind == tMDY && i+3 <= len(b) && b[i] == ' ' && (b[i+1] == 'A' || b[i+1] == 'P') && b[i+2] == 'M' {
		h := secs / 3600
		if h == 12 {
			secs -= 12 * 3600
		}
		if b[i+1] == 'P' {
			secs += 12 * 3600
		}
		i += 3
	}
	off, zn := zoneAt(b, i)
	i += zn
	unix := daysFromCivil(y, mo, d)*86400 + secs - off
	return time.Unix(unix, nsec).UTC(), kind, i, true
}

// epochAt parses %(created)f: ten digits (2001–2286), a fraction.
func epochAt(b []byte) (time.Time, timeKind, int, bool) {
	var sec int64
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' && n < 11 {
		sec = sec*10 + int64(b[n]-'0')
		n++
	}
	if n != 10 || n+1 >= len(b) || b[n] != '.' || b[n+1] < '0' || b[n+1] > '9' {
		return time.Time{}, tNone, 0, false
	}
	n++
	var nsec int64
	scale := int64(1e8)
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		nsec += int64(b[n]-'0') * scale
		scale /= 10
		n++
	}
	return time.Unix(sec, nsec).UTC(), tEpoch, n, true
}

// parseTimeString reads a timestamp held in a JSON field: any of the text
// forms, or an ISO 8601 string with a zone.
func parseTimeString(s []byte) (time.Time, bool) {
	t, _, _, ok := timeAt(s, tNone, time.Now().Year())
	return t, ok
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c >= 0x80
}
