// A Tars server on @tars/rpc 2.0.15 (its own HeroServer, framing and packets; @tars/stream 2.0.3 encoding), for tests.
//   node server.js PORT [NAME]
// Serves the servant Gatehouse.DemoServer.DemoObj with the functions of Demo.tars, dispatched the way tars2node's
// generated code does it: TUP (versions 2 and 3, named arguments through UniAttribute), the Tars protocol
// (version 1, arguments by tag) and JSON (version 5: the arguments as a JSON object, the answer as JSON with
// tars_ret). Prints "listening PORT" when ready.
'use strict';
const net = require('net');
const TarsRpc = require('@tars/rpc');
const { Schema, demoStructs, TarsStream } = require('./schema');

const TarsServer = TarsRpc.server;
const TarsError = TarsRpc.error;
const port = Number(process.argv[2]);
const name = process.argv[3] || `server-${port}`;
const schema = new Schema(demoStructs);

// name: [return type or null, [[param, type, out?]...], impl(args, current) -> {ret, out} | Promise | {error: [code, msg]}]
const functions = {
  add: ['int', [['a', 'int'], ['b', 'int']], a => ({ ret: a.a + a.b })],
  concat: ['string', [['a', 'string'], ['b', 'string']], a => ({ ret: a.a + a.b })],
  scalars: ['double', [['t', 'bool'], ['b', 'byte'], ['s', 'short'], ['i', 'int'], ['l', 'long'], ['f', 'float'], ['d', 'double'], ['sum', 'long', true]],
    a => ({ ret: (a.t ? 1 : 0) + a.b + a.s + a.i + a.l + a.f + a.d, out: { sum: a.b + a.s + a.i + a.l } })],
  getUser: ['User', [['id', 'long']], a => ({
    ret: { id: a.id, name: `user-${a.id}`, tags: ['a', 'b'], address: { city: 'Shenzhen', zip: 518000 }, scores: { math: 90, art: -3 }, note: name },
  })],
  echoUser: ['User', [['user', 'User']], a => ({ ret: a.user })],
  range: ['vector<int>', [['n', 'int']], a => ({ ret: Array.from({ length: a.n }, (_, i) => i) })],
  countWords: ['map<string, long>', [['words', 'vector<string>']], a => {
    const counts = {};
    for (const w of a.words) counts[w] = (counts[w] || 0) + 1;
    return { ret: counts };
  }],
  repeat: ['string', [['text', 'string'], ['count', 'int']], a => ({ ret: a.text.repeat(a.count) })],
  fail: ['int', [['code', 'int'], ['message', 'string']], a => ({ error: [a.code, a.message] })],
  sleep: ['int', [['ms', 'int']], a => new Promise(resolve => setTimeout(() => resolve({ ret: a.ms }), a.ms))],
  swap: [null, [['a', 'string'], ['b', 'string'], ['first', 'string', true], ['second', 'string', true]],
    a => ({ out: { first: a.b, second: a.a } })],
  reverseBytes: ['vector<byte>', [['data', 'vector<byte>']], a => ({ ret: Buffer.from(a.data, 'base64').reverse().toString('base64') })],
  whoami: ['map<string, string>', [], (a, current) => {
    const context = current.getContext();
    return { ret: { node: name, ...(context && context.toObject ? context.toObject() : context) } };
  }],
};

const uniRead = { bool: 'readBoolean', byte: 'readInt8', short: 'readInt16', int: 'readInt32', long: 'readInt64', float: 'readFloat', double: 'readDouble', string: 'readString' };
const uniWrite = { bool: 'writeBoolean', byte: 'writeInt8', short: 'writeInt16', int: 'writeInt32', long: 'writeInt64', float: 'writeFloat', double: 'writeDouble', string: 'writeString' };

function tupRead(tup, pname, tname) {
  const t = schema.type(tname);
  if (uniRead[tname]) return t.toJson(tup[uniRead[tname]](pname));
  if (tname === 'vector<byte>') return t.toJson(tup.readBytes(pname));
  if (tname.startsWith('vector<')) return t.toJson(tup.readList(pname, t.T));
  if (tname.startsWith('map<')) return t.toJson(tup.readMap(pname, t.T));
  return t.toJson(tup.readStruct(pname, t.T));
}

function tupWrite(tup, pname, tname, value) {
  const t = schema.type(tname);
  const v = t.fromJson(value);
  if (uniWrite[tname]) tup[uniWrite[tname]](pname, v);
  else if (tname === 'vector<byte>') tup.writeBytes(pname, v);
  else if (tname.startsWith('vector<')) tup.writeList(pname, v);
  else if (tname.startsWith('map<')) tup.writeMap(pname, v);
  else tup.writeStruct(pname, v);
}

function DemoImp() {}
DemoImp.prototype.initialize = function () {};
DemoImp.prototype.onDispatch = function (current, funcName, binBuffer) {
  if (funcName === 'tars_ping') {
    current.doResponse(new TarsStream.BinBuffer());
    return TarsError.SUCCESS;
  }
  const f = functions[funcName];
  if (!f) return TarsError.SERVER.FUNC_NOT_FOUND;
  const [retType, params, impl] = f;
  const version = current.getRequestVersion();
  const args = {};
  if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
    const tup = new TarsStream.UniAttribute();
    tup.tupVersion = version;
    tup.decode(binBuffer);
    for (const [p, t, out] of params) if (!out) args[p] = tupRead(tup, p, t);
  } else if (version === TarsStream.Tup.JSON_VERSION) {
    Object.assign(args, JSON.parse(binBuffer.toNodeBuffer().toString('utf8') || '{}'));
  } else {
    const is = new TarsStream.TarsInputStream(binBuffer);
    params.forEach(([p, t, out], i) => { if (!out) args[p] = schema.type(t).toJson(schema.type(t).read(is, i + 1, true)); });
  }

  Promise.resolve(impl(args, current)).then(result => {
    if (result.error) {
      current.sendErrorResponse(result.error[0], result.error[1]);
      return;
    }
    const outs = params.filter(p => p[2]);
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
      const tup = new TarsStream.UniAttribute();
      tup.tupVersion = version;
      if (retType) tupWrite(tup, '', retType, result.ret);
      for (const [p, t] of outs) tupWrite(tup, p, t, result.out[p]);
      current.doResponse(tup.encode());
    } else if (version === TarsStream.Tup.JSON_VERSION) {
      const body = {};
      if (retType) body.tars_ret = result.ret;
      for (const [p] of outs) body[p] = result.out[p];
      current.doResponse(new TarsStream.BinBuffer(Buffer.from(JSON.stringify(body))));
    } else {
      const os = new TarsStream.TarsOutputStream();
      if (retType) schema.type(retType).write(os, 0, schema.type(retType).fromJson(result.ret));
      params.forEach(([p, t, out], i) => { if (out) schema.type(t).write(os, i + 1, schema.type(t).fromJson(result.out[p])); });
      current.doResponse(os.getBinBuffer());
    }
  }).catch(e => current.sendErrorResponse(-99, String(e && e.message || e)));
  return TarsError.SUCCESS;
};

const option = new TarsServer.BindAdapterOption();
option.endpoint = `tcp -h 127.0.0.1 -p ${port} -t 600000`;
option.name = 'Gatehouse.DemoServer.DemoObjAdapter';
option.servant = 'Gatehouse.DemoServer.DemoObj';
option.handleImp = DemoImp;
const server = TarsServer.createServer();
server.start(option);

// Ready once a connection is accepted.
(function probe(attempt) {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('connect', () => { socket.destroy(); console.log(`listening ${port}`); });
  socket.on('error', () => { if (attempt < 100) setTimeout(() => probe(attempt + 1), 50); else process.exit(1); });
})(0);
