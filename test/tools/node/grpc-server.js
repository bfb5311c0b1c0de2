#!/usr/bin/env node
// A @grpc/grpc-js server playing a gateway node (h2c on 127.0.0.1, a free port), printing {"port": N} once bound.
// test.Probe/Unary: "missing" fails with NOT_FOUND before any message (a trailers-only response), anything else
// comes back as sent; test.Probe/Stream: "N" answers m0..m(N-1). Messages are raw UTF-8 strings (no .proto).
'use strict';
const grpc = require('@grpc/grpc-js');

const serialize = (s) => Buffer.from(s, 'utf8');
const deserialize = (b) => b.toString('utf8');
const method = (name, responseStream) => ({
  path: `/test.Probe/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: serialize,
  requestDeserialize: deserialize,
  responseSerialize: serialize,
  responseDeserialize: deserialize,
});

const server = new grpc.Server({ 'grpc.max_receive_message_length': -1 });
server.addService({ Unary: method('Unary', false), Stream: method('Stream', true) }, {
  Unary: (call, callback) => {
    if (call.request === 'missing') {
      callback({ code: grpc.status.NOT_FOUND, details: 'no such thing (grpc-js node)' });
    } else {
      callback(null, call.request);
    }
  },
  Stream: (call) => {
    for (let i = 0; i < Number(call.request); i++) call.write(`m${i}`);
    call.end();
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`${err}\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ port }) + '\n');
});
// Stopped by the test through its process id (SIGTERM or kill).
