#!/usr/bin/env node
// One gRPC call through @grpc/grpc-js, printed as one JSON line: {"code", "message", "responses", "sizes"}.
// Messages are raw UTF-8 strings (no .proto), matching the test service's hand-written descriptors.
// Usage: node grpc-call.js TARGET PATH unary|stream REQUEST [--service NAME] [--deadline-ms N]
//        [--cancel-after-ms N] [--big BYTES] [--tls-root PEM]
'use strict';
const fs = require('fs');
const grpc = require('@grpc/grpc-js');

const [target, path, kind, request, ...rest] = process.argv.slice(2);
const opts = {};
for (let i = 0; i < rest.length; i += 2) opts[rest[i].replace(/^--/, '')] = rest[i + 1];

const channelOptions = {
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  'grpc.ssl_target_name_override': 'localhost',
  'grpc.default_authority': 'localhost',
};
const credentials = opts['tls-root']
  ? grpc.credentials.createSsl(fs.readFileSync(opts['tls-root']))
  : grpc.credentials.createInsecure();
const client = new grpc.Client(target, credentials, channelOptions);
const serialize = (s) => Buffer.from(s, 'utf8');
const deserialize = (b) => b.toString('utf8');
const metadata = new grpc.Metadata();
if (opts.service) metadata.add('servicename', opts.service);
const callOptions = {};
if (opts['deadline-ms']) callOptions.deadline = new Date(Date.now() + Number(opts['deadline-ms']));
const body = opts.big ? 'x'.repeat(Number(opts.big)) : request;

const responses = [];
let done = false;
function finish(code, message) {
  if (done) return;
  done = true;
  process.stdout.write(JSON.stringify({
    code,
    message,
    responses: responses.map((r) => r.slice(0, 100)),
    sizes: responses.map((r) => Buffer.byteLength(r, 'utf8')),
  }) + '\n');
  client.close();
}

let call;
if (kind === 'unary') {
  call = client.makeUnaryRequest(path, serialize, deserialize, body, metadata, callOptions, (err, reply) => {
    if (err) return finish(err.code, err.details);
    responses.push(reply);
    finish(0, '');
  });
} else {
  call = client.makeServerStreamRequest(path, serialize, deserialize, body, metadata, callOptions);
  call.on('data', (reply) => responses.push(reply));
  call.on('error', (err) => finish(err.code, err.details));
  call.on('status', (status) => { if (status.code === 0) finish(0, status.details); });
}

if (opts['cancel-after-ms']) setTimeout(() => call.cancel(), Number(opts['cancel-after-ms']));
