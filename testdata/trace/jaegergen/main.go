// Command jaegergen writes a small trace of an "orders" service in the two
// Jaeger JSON shapes that no query API hands out but Jaeger's own tools and
// converters write, with Jaeger's own model packages (jaeger-idl):
//
//	jaeger-domain.json        the domain model (model.Trace) marshalled by
//	                          gogo's jsonpb, as Jaeger's converters and
//	                          api_v2 gateway do: base64 ids, RFC 3339 start
//	                          times, protobuf duration text, vType/vStr tags;
//	jaeger-thrift-batch.json  the Thrift Batch (what clients send the
//	                          agent) marshalled by encoding/json: integer
//	                          ids, µs times.
//
// The trace: a server span GET /orders and five child spans of an N+1 loop.
// Usage: cd testdata/trace/jaegergen && go run . -out ..
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gogo/protobuf/jsonpb"
	model "github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/thrift-gen/jaeger"
)

func main() {
	out := flag.String("out", ".", "directory to write into")
	flag.Parse()
	start := time.Now().UTC().Truncate(time.Microsecond)
	traceID := model.NewTraceID(0x5296_9a89_5557_1a3f, 0x1be4_4a61_7c2b_9d05)
	proc := model.NewProcess("orders", []model.KeyValue{model.String("hostname", "orders-1")})
	root := &model.Span{
		TraceID: traceID, SpanID: model.NewSpanID(0x6585752), OperationName: "GET /orders",
		StartTime: start, Duration: 23 * time.Millisecond, Process: proc,
		Tags: []model.KeyValue{model.String("span.kind", "server"), model.String("http.method", "GET"),
			model.String("http.route", "/orders"), model.Int64("http.status_code", 200)},
	}
	spans := []*model.Span{root}
	for i := 1; i <= 5; i++ {
		spans = append(spans, &model.Span{
			TraceID: traceID, SpanID: model.NewSpanID(0x6585752 + uint64(i)), OperationName: "SELECT customers",
			References: []model.SpanRef{model.NewChildOfRef(traceID, root.SpanID)},
			StartTime:  start.Add(time.Duration(i) * 3 * time.Millisecond), Duration: 2*time.Millisecond + time.Duration(i)*time.Microsecond,
			Process: proc,
			Tags: []model.KeyValue{model.String("span.kind", "client"), model.String("db.system", "postgresql"),
				model.String("db.statement", "SELECT name FROM customers WHERE id = $1"), model.String("db.param", strconv.Itoa(i))},
		})
	}
	var buf bytes.Buffer
	if err := (&jsonpb.Marshaler{Indent: "  "}).Marshal(&buf, &model.Trace{Spans: spans}); err != nil {
		log.Fatal(err)
	}
	write(filepath.Join(*out, "jaeger-domain.json"), append(buf.Bytes(), '\n'))

	batch := &jaeger.Batch{Process: &jaeger.Process{ServiceName: "orders",
		Tags: []*jaeger.Tag{{Key: "hostname", VType: jaeger.TagType_STRING, VStr: ptr("orders-1")}}}}
	for _, s := range spans {
		ts := &jaeger.Span{
			TraceIdLow: int64(s.TraceID.Low), TraceIdHigh: int64(s.TraceID.High), SpanId: int64(s.SpanID),
			OperationName: s.OperationName, StartTime: s.StartTime.UnixMicro(), Duration: s.Duration.Microseconds(),
		}
		if len(s.References) > 0 {
			ts.ParentSpanId = int64(s.References[0].SpanID)
		}
		for _, kv := range s.Tags {
			tag := &jaeger.Tag{Key: kv.Key}
			switch kv.VType {
			case model.ValueType_INT64:
				tag.VType, tag.VLong = jaeger.TagType_LONG, ptr(kv.Int64())
			default:
				tag.VType, tag.VStr = jaeger.TagType_STRING, ptr(kv.VStr)
			}
			ts.Tags = append(ts.Tags, tag)
		}
		batch.Spans = append(batch.Spans, ts)
	}
	b, err := json.MarshalIndent(batch, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	write(filepath.Join(*out, "jaeger-thrift-batch.json"), append(b, '\n'))
}

func ptr[T any](v T) *T { return &v }

func write(path string, b []byte) {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s (%d bytes)", path, len(b))
}
