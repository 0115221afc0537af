// Records a Chrome Trace Event file with a V8 CPU profile in it, the way
// Chrome DevTools' Performance panel saves one: Node's inspector starts
// tracing with the disabled-by-default-v8.cpu_profiler category (V8's own
// tracing CPU profiler then writes "Profile" and "ProfileChunk" events next
// to Node's and V8's duration events) and the collected events are written
// as {"traceEvents": [...]}, as DevTools writes them.
//
// The workload is orders.js, for 400 ms.
//
// Usage: node cpu_trace.js ../chrome-cpu.json   (Node 20 from Debian or NodeSource)
'use strict';
const inspector = require('inspector');
const fs = require('fs');

const { work } = require('./orders');

const out = process.argv[2];
if (!out) { console.error('usage: node cpu_trace.js OUT.json'); process.exit(2); }
const session = new inspector.Session();
session.connect();
const events = [];
session.on('NodeTracing.dataCollected', m => events.push(...m.params.value));
const categories = ['v8', 'node', 'disabled-by-default-v8.cpu_profiler'];
session.post('NodeTracing.start', { traceConfig: { includedCategories: categories } }, err => {
  if (err) throw err;
  const n = work(400);
  setTimeout(() => session.post('NodeTracing.stop', () => {
    fs.writeFileSync(out, JSON.stringify({ traceEvents: events }));
    console.log(`${n} requests, ${events.length} trace events -> ${out}`);
  }), 50);
});
