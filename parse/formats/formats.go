// Package formats lists every input format hotpath reads, in sniffing
// order, wired together (the access-log reader reads the access records of
// Python application logs too): the one list the command, the TUI's test
// driver and the tests load with.
package formats

import (
	"hotpath/parse"
	"hotpath/parse/accesslog"
	"hotpath/parse/applog"
	"hotpath/parse/sqllog"
	"hotpath/parse/trace"
)

// All is every format, the most specific signatures first: profiles,
// traces, SQL logs, access logs, then Python application logs.
func All() []parse.Format {
	var out []parse.Format
	out = append(out, parse.ProfileFormats()...)
	out = append(out, trace.Formats()...)
	out = append(out, sqllog.Formats()...)
	out = append(out, accesslog.Formats()...)
	out = append(out, applog.FormatsWith(accessMessage)...)
	return out
}

// accessMessage reads the message of an aiohttp.access, uvicorn.access or
// gunicorn.access record with the access-log reader, which knows every
// common layout, and falls back to applog's reader of the default ones.
func accessMessage(r *applog.AccessRecord, sp *parse.Span) bool {
	return accesslog.ReadMessage(r.Message, r.Time, sp) || applog.DefaultAccess(r, sp)
}
