// The workload both recorders profile: an "orders" handler that computes a
// checksum per order and renders the orders as JSON, run for `ms`
// milliseconds. Run alone (`node orders.js`) it works for 400 ms, for
// `node --cpu-prof` to profile.
'use strict';

function checksum(n) { let s = 0; for (let i = 0; i < n; i++) s += (i % 7) * 0.5; return s; }
function render(orders) { return orders.map(o => JSON.stringify(o)).join('\n'); }
function handle() {
  const orders = [];
  for (let i = 0; i < 200; i++) orders.push({ id: i, total: checksum(2000) });
  return render(orders);
}

function work(ms) {
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) { handle(); n++; }
  return n;
}

module.exports = { work };
if (require.main === module) console.log(`${work(400)} requests`);
