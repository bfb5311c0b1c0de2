// Calls per second of add(1, 2) on com.gatehouse.test.DemoService, closed loop with N callers.
//   node bench.js direct PROVIDER_PORT SECONDS CONCURRENCY   dubbo.ts's own Consumer straight to the provider
//   node bench.js http GATEWAY_URL SECONDS CONCURRENCY       HTTP POST [1,2] through the gateway (keep-alive)
// Prints one JSON line: {"mode", "calls", "errors", "seconds", "callsPerSecond"}.
'use strict';
const { Consumer } = require('dubbo.ts');

const { main } = require('../rpc-bench-loop.js');

async function directCaller(target) {
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

main(directCaller);
