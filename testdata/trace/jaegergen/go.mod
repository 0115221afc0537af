module hotpath/testdata/trace/jaegergen

go 1.26.0

require (
	github.com/gogo/protobuf v1.3.2
	github.com/jaegertracing/jaeger-idl v0.14.0
)

require github.com/apache/thrift v0.24.0 // indirect
