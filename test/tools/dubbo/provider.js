// A Dubbo 2 provider on dubbo.ts 1.0.72 (the npm package's own Provider, hessian2 via hessian.js), for tests.
//   node provider.js PORT [NAME] [--registry HOST:PORT] [--root ROOT] [--host IP] [--session-timeout MS] [--weight N]
// Serves com.gatehouse.test.DemoService version 1.0.0 (group none) and the same in group "blue". Prints
// "listening PORT" when ready. Without --registry the registry is a stand-in that registers nothing, so the provider
// is reached through static dubbo:// nodes. With --registry it registers in that ZooKeeper through dubbo.ts's own
// Registry (node-zookeeper-client): one ephemeral znode per service under /ROOT/{interface}/providers (ROOT default
// "dubbo"), gone when the process dies and its session expires. --host is the address put in the provider URL
// (dubbo.ts takes the machine's first non-loopback IPv4, which a test cannot rely on). --weight adds weight=N to the
// URL, as Java Dubbo writes a configured weight (dubbo.ts has no option for it). On SIGTERM the provider deletes its
// znodes first, keeps serving for --drain MS (default 2000), then exits: Dubbo's graceful shutdown.
'use strict';
const { Provider, Registry } = require('dubbo.ts');

const port = Number(process.argv[2]);
const name = process.argv[3] && !process.argv[3].startsWith('--') ? process.argv[3] : `provider-${port}`;
const option = (key, fallback) => {
  const index = process.argv.indexOf(`--${key}`);
  return index > 0 ? process.argv[index + 1] : fallback;
};

const zooKeeper = option('registry');
const registry = zooKeeper
  ? new Registry({ host: zooKeeper, sessionTimeout: Number(option('session-timeout', '30000')) })
  : {
    connected: true,
    async connect() {},
    async create() {},
    async remove() {},
    close() {},
  };
if (option('host')) {
  require('dubbo.ts/dist/utils').localhost = option('host');
}
if (option('weight')) {
  // ServiceChunk.register builds the provider URL with url.format; add weight= to its query as Java Dubbo would.
  const url = require('url');
  const format = url.format;
  url.format = obj => {
    if (obj && obj.query && obj.query.side === 'provider') obj.query.weight = Number(option('weight'));
    return format.call(url, obj);
  };
}

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
    root: option('root', 'dubbo'),
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
  if (zooKeeper) {
    // dubbo.ts creates /ROOT/{interface} and its providers node without parents, and for two services of one interface
    // concurrently (Promise.all), so one of them fails with NODE_EXISTS or NO_NODE: create the persistent path first,
    // one step at a time, as a Java provider's recursive create would have.
    await registry.connect();
    const root = `/${option('root', 'dubbo')}`;
    for (const path of [root, `${root}/com.gatehouse.test.DemoService`, `${root}/com.gatehouse.test.DemoService/providers`]) {
      try { await registry.create(path, 0); } catch (e) { if (e.code !== -110) throw e; }
    }
  }
  await provider.listen();
  console.log(`listening ${port}`);
  process.on('SIGTERM', async () => {
    await provider.unPublish();
    console.log('unregistered');
    setTimeout(() => process.exit(0), Number(option('drain', '2000')));
  });
}

main().catch(e => { console.error(e); process.exit(1); });
