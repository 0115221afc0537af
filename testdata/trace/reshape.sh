#!/usr/bin/env bash
# Derives, from the recorded jaeger.json (Jaeger's query API v1) and
# otlp.jsonl (OTLP TracesData), the other shapes in which Jaeger hands out
# the same spans. Only the envelope changes; every span is as recorded.
#
#   jaeger-v3.jsonl    Jaeger's query API v3 (/api/v3/traces): each line
#                      {"result": TracesData}, one trace per line, as the
#                      HTTP gateway writes GRPCGatewayWrapper
#                      (cmd/query/app/apiv3/http_gateway.go, returnTrace)
#                      and as a chunked, streamed answer would be saved;
#   jaeger-trace.json  one trace object of the v1 answer without the
#                      {"data": […]} envelope (the UI's trace model);
#   jaeger-spans.json  that trace's spans as a list, each with its process
#                      inline, one span per line: the capture file Jaeger's
#                      anonymizer reads (cmd/anonymizer/app/uiconv).
#
# Needs jq. Usage: testdata/trace/reshape.sh
set -euo pipefail
cd "$(dirname "$0")"
jq -c '
  [.resourceSpans[].scopeSpans[].spans[].traceId] | unique | .[:2][]
' otlp.jsonl | while read -r id; do
	jq -c --argjson id "$id" '
	  .resourceSpans |= (map(.scopeSpans |= (map(.spans |= map(select(.traceId == $id))) | map(select(.spans | length > 0))))
	                     | map(select(.scopeSpans | length > 0)))
	  | {result: .}' otlp.jsonl
done > jaeger-v3.jsonl
jq '.data[1]' jaeger.json > jaeger-trace.json
{
	echo "["
	jq -c '.data[1] as $t | $t.spans[] | .process = $t.processes[.processID]' jaeger.json | sed '$!s/$/,/'
	echo "]"
} > jaeger-spans.json
wc -c jaeger-v3.jsonl jaeger-trace.json jaeger-spans.json
