// Calls per second of add(1, 2) on the test server's Gatehouse.DemoServer.DemoObj, closed loop with N callers.
//   node bench.js direct SERVER_PORT SECONDS CONCURRENCY   @tars/rpc's own client straight to the server
//   node bench.js http GATEWAY_URL SECONDS CONCURRENCY     HTTP POST [1,2] through the gateway (keep-alive)
// Prints one JSON line: {"mode", "calls", "errors", "seconds", "callsPerSecond"}.
// The direct client is what tars2node generates for a proxy: the Tars protocol (version 1, arguments by tag).
'use strict';
const http = require('http');
const TarsRpc = require('@tars/rpc');
const TarsStream = require('@tars/stream');

const [mode, target, secondsText, concurrencyText] = process.argv.slice(2);
const seconds = Number(secondsText || 10);
const concurrency = Number(concurrencyText || 8);

function DemoProxy() {
  this._name = undefined;
  this._worker = undefined;
}
DemoProxy.prototype.setTimeout = function (timeout) { this._worker.timeout = timeout; };
DemoProxy.prototype.getTimeout = function () { return this._worker.timeout; };
DemoProxy.prototype.add = function (a, b) {
  const os = new TarsStream.TarsOutputStream();
  os.writeInt32(1, a);
  os.writeInt32(2, b);
  return this._worker.tars_invoke('add', os.getBinBuffer()).then(data => {
    const is = new TarsStream.TarsInputStream(data.response.sBuffer);
    return is.readInt32(0, true);
  });
};

function directCaller() {
  const proxy = TarsRpc.client.stringToProxy(DemoProxy, `Gatehouse.DemoServer.DemoObj@tcp -h 127.0.0.1 -p ${target} -t 60000`);
  proxy.setTimeout(5000);
  const call = () => new Promise((resolve, reject) => {
    proxy.add(1, 2).then(r => (r === 3 ? resolve() : reject(new Error(String(r)))), e => reject(new Error(JSON.stringify(e && e.response && e.response.error))));
  });
  return { call, close: () => {} };
}

function httpCaller() {
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

async function main() {
  const caller = mode === 'direct' ? directCaller() : httpCaller();
  // Warm-up.
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
  caller.close();
  process.exit(0);
}

main().catch(e => { console.error(e); process.exit(1); });
