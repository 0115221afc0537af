package main

import (
	"runtime"
	"strconv"
	"strings"

	zipkin "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"gorm.io/gorm"
)

// pgEndpoint is the remote side of every database span.
var pgEndpoint = &model.Endpoint{ServiceName: "postgresql", Port: 54355}

// instrument registers GORM callbacks that wrap each statement in a Zipkin
// client span named after the GORM operation ("gorm.query", "gorm.create",
// "gorm.row" …), tagged the Zipkin way: sql.query (the SQL with $n
// placeholders), db.table, db.rows, plus the application caller as
// code.function / code.filepath / code.lineno.
func (s *shop) instrument(db *gorm.DB) {
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().Before("gorm:query").Register("zipkin:before_query", s.startSpan("query")),
		cb.Query().After("gorm:query").Register("zipkin:after_query", finishSpan),
		cb.Create().Before("gorm:create").Register("zipkin:before_create", s.startSpan("create")),
		cb.Create().After("gorm:create").Register("zipkin:after_create", finishSpan),
		cb.Update().Before("gorm:update").Register("zipkin:before_update", s.startSpan("update")),
		cb.Update().After("gorm:update").Register("zipkin:after_update", finishSpan),
		cb.Delete().Before("gorm:delete").Register("zipkin:before_delete", s.startSpan("delete")),
		cb.Delete().After("gorm:delete").Register("zipkin:after_delete", finishSpan),
		cb.Row().Before("gorm:row").Register("zipkin:before_row", s.startSpan("row")),
		cb.Row().After("gorm:row").Register("zipkin:after_row", finishSpan),
		cb.Raw().Before("gorm:raw").Register("zipkin:before_raw", s.startSpan("raw")),
		cb.Raw().After("gorm:raw").Register("zipkin:after_raw", finishSpan),
	} {
		if err != nil {
			panic(err)
		}
	}
}

func (s *shop) startSpan(op string) func(*gorm.DB) {
	return func(tx *gorm.DB) {
		sp, ctx := s.tracer.StartSpanFromContext(tx.Statement.Context, "gorm."+op,
			zipkin.Kind(model.Client), zipkin.RemoteEndpoint(pgEndpoint))
		for k, v := range caller() {
			sp.Tag(k, v)
		}
		tx.Statement.Context = ctx
		tx.InstanceSet("zipkin:span", sp)
	}
}

func finishSpan(tx *gorm.DB) {
	v, ok := tx.InstanceGet("zipkin:span")
	if !ok {
		return
	}
	sp := v.(zipkin.Span)
	sp.Tag("sql.query", tx.Statement.SQL.String())
	if tx.Statement.Table != "" {
		sp.Tag("db.table", tx.Statement.Table)
	}
	sp.Tag("db.rows", strconv.FormatInt(tx.RowsAffected, 10))
	if tx.Error != nil && tx.Error != gorm.ErrRecordNotFound {
		zipkin.TagError.Set(sp, tx.Error.Error())
	}
	sp.Finish()
}

// caller is the innermost frame of this program outside GORM and this file.
func caller() map[string]string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "main.") && !strings.HasPrefix(f.Function, "main.(*shop).startSpan") && f.Function != "main.caller" {
			return map[string]string{"code.function": f.Function, "code.filepath": f.File, "code.lineno": strconv.Itoa(f.Line)}
		}
		if !more {
			return nil
		}
	}
}
