// A Dubbo 2 provider on dubbo.ts 1.0.72 (the npm package's own Provider, hessian2 via hessian.js), for tests.
//   node provider.js PORT [NAME]
// Serves com.gatehouse.test.DemoService version 1.0.0 (group none) and the same in group "blue". Prints
// "listening PORT" when ready. No ZooKeeper: the registry is a stand-in that registers nothing, so the provider is
// reached through static dubbo:// nodes.
'use strict';
const { Provider } = require('dubbo.ts');

const port = Number(process.argv[2]);
const name = process.argv[3] || `provider-${port}`;

const registry = {
  connected: true,
  async connect() {},
  async create() {},
  async remove() {},
  close() {},
};

class DemoService {
  echo(value) { return value; }
  add(a, b) { return a + b; }
  concat(a, b) { return `${a}${b}`; }
  user(id) {
    return {
      $class: 'com.gatehouse.test.User',
      $: {
        id: { $class: 'long', $: id },
        name: { $class: 'java.lang.String', $: `user-${id}` },
        tags: { $class: 'java.util.List', $: ['a', 'b'] },
        address: { $class: 'com.gatehouse.test.Address', $: { city: { $class: 'java.lang.String', $: 'Shenzhen' } } },
      },
    };
  }
  info() { return { name, port, ok: true, nested: { list: [1, 2, 3], nothing: null } }; }
  range(n) { return Array.from({ length: n }, (_, i) => i); }
  nothing() { return null; }
  repeat(text, count) { return String(text).repeat(count); }
  fail(message) { throw new Error(message); }
  async sleep(ms) { await new Promise(resolve => setTimeout(resolve, ms)); return ms; }
  whoami() { return { node: name, attachments: this.req.attachments }; }
}

async function main() {
  const provider = new Provider({
    application: 'gatehouse-test',
    dubbo_version: '2.0.2',
    port,
    pid: process.pid,
    registry,
    heartbeat: 0,
    logger: { info() {}, warn: console.error, error: console.error, fatal: console.error },
  });
  const methods = Object.getOwnPropertyNames(DemoService.prototype).filter(m => m !== 'constructor');
  provider.addService(DemoService, { interface: 'com.gatehouse.test.DemoService', version: '1.0.0', methods });
  provider.addService(DemoService, { interface: 'com.gatehouse.test.DemoService', version: '1.0.0', group: 'blue', methods });
  const instance = new DemoService();
  provider.on('data', async (ctx, chunk) => {
    const method = instance[ctx.req.method];
    if (typeof method !== 'function') {
      ctx.status = 60;
      throw new Error(`no method ${ctx.req.method} in ${chunk.interfacename}`);
    }
    ctx.body = await method.apply(ctx, ctx.req.parameters);
  });
  await provider.listen();
  console.log(`listening ${port}`);
}

main().catch(e => { console.error(e); process.exit(1); });
