// Calls per second of add(1, 2) on the test server's Gatehouse.DemoServer.DemoObj, closed loop with N callers.
//   node bench.js direct SERVER_PORT SECONDS CONCURRENCY   @tars/rpc's own client straight to the server
//   node bench.js http GATEWAY_URL SECONDS CONCURRENCY     HTTP POST [1,2] through the gateway (keep-alive)
// Prints one JSON line: {"mode", "calls", "errors", "seconds", "callsPerSecond"}.
// The direct client is what tars2node generates for a proxy: the Tars protocol (version 1, arguments by tag).
'use strict';
const TarsRpc = require('@tars/rpc');
const TarsStream = require('@tars/stream');

const { main } = require('../rpc-bench-loop.js');

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

function directCaller(target) {
  const proxy = TarsRpc.client.stringToProxy(DemoProxy, `Gatehouse.DemoServer.DemoObj@tcp -h 127.0.0.1 -p ${target} -t 60000`);
  proxy.setTimeout(5000);
  const call = () => new Promise((resolve, reject) => {
    proxy.add(1, 2).then(r => (r === 3 ? resolve() : reject(new Error(String(r)))), e => reject(new Error(JSON.stringify(e && e.response && e.response.error))));
  });
  return { call, close: () => {} };
}

main(directCaller);
