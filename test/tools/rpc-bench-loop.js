// What test/tools/dubbo/bench.js and test/tools/tars/bench.js share: the HTTP caller through the gateway and the
// closed loop. No npm packages: required by relative path from each folder.
'use strict';
const http = require('http');

// HTTP POST [1,2] to the gateway (keep-alive), expecting 200 and the body 3.
function httpCaller(target, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const body = Buffer.from('[1,2]');
  const call = () => new Promise((resolve, reject) => {
    const request = http.request(`${target}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, response => {
      const chunks = [];
      response.on('data', c => chunks.push(c));
      response.on('end', () => (response.statusCode === 200 && Buffer.concat(chunks).toString() === '3' ? resolve() : reject(new Error(`${response.statusCode}`))));
    });
    request.on('error', reject);
    request.end(body);
  });
  return { call, close: () => agent.destroy() };
}

// Warms up with 200 calls, runs CONCURRENCY callers for SECONDS, prints one JSON line:
// {"mode", "calls", "errors", "seconds", "callsPerSecond"}, and exits.
async function run(mode, caller, seconds, concurrency) {
  for (let i = 0; i < 200; i++) await caller.call().catch(() => {});
  let calls = 0; let errors = 0;
  const end = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      try { await caller.call(); calls++; } catch { errors++; }
    }
  }));
  const elapsed = (Date.now() - started) / 1000;
  console.log(JSON.stringify({ mode, calls, errors, seconds: elapsed, callsPerSecond: Math.round(calls / elapsed) }));
  await caller.close();
  process.exit(0);
}

// Runs `node bench.js direct|http TARGET SECONDS CONCURRENCY` with the protocol's direct caller.
function main(directCaller) {
  const [mode, target, secondsText, concurrencyText] = process.argv.slice(2);
  const seconds = Number(secondsText || 10);
  const concurrency = Number(concurrencyText || 8);
  (async () => {
    const caller = mode === 'direct' ? await directCaller(target) : httpCaller(target, concurrency);
    await run(mode, caller, seconds, concurrency);
  })().catch(e => { console.error(e); process.exit(1); });
}

module.exports = { httpCaller, run, main };
