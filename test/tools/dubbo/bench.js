// Calls per second of add(1, 2) on com.gatehouse.test.DemoService, closed loop with N callers.
//   node bench.js direct PROVIDER_PORT SECONDS CONCURRENCY   dubbo.ts's own Consumer straight to the provider
//   node bench.js http GATEWAY_URL SECONDS CONCURRENCY       HTTP POST [1,2] through the gateway (keep-alive)
// Prints one JSON line: {"mode", "calls", "errors", "seconds", "callsPerSecond"}.
'use strict';
const http = require('http');
const { Consumer } = require('dubbo.ts');

const [mode, target, secondsText, concurrencyText] = process.argv.slice(2);
const seconds = Number(secondsText || 10);
const concurrency = Number(concurrencyText || 8);

async function directCaller() {
  const url = `dubbo://127.0.0.1:${target}/com.gatehouse.test.DemoService?interface=com.gatehouse.test.DemoService`
    + `&version=1.0.0&dubbo=2.0.2&methods=add,echo&default.timeout=5000&default.retries=0`;
  // No ZooKeeper: a stand-in registry lists the one provider.
  const registry = {
    connected: true,
    async connect() {},
    async create() {},
    async remove() {},
    async children() { return [encodeURIComponent(url)]; },
    close() {},
  };
  const consumer = new Consumer({ application: 'bench', dubbo_version: '2.0.2', pid: process.pid, registry,
    logger: { debug() {}, info() {}, warn() {}, error: console.error } });
  await consumer.listen();
  const invoker = await consumer.get('com.gatehouse.test.DemoService', '1.0.0');
  return { call: () => invoker.invoke('add', [{ $class: 'int', $: 1 }, { $class: 'int', $: 2 }]).then(r => { if (r !== 3) throw new Error(JSON.stringify(r)); }), close: () => consumer.close() };
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
  const caller = mode === 'direct' ? await directCaller() : httpCaller();
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
  await caller.close();
  process.exit(0);
}

main().catch(e => { console.error(e); process.exit(1); });
