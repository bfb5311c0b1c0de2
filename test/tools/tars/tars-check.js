// Cross-check of Gatehouse's Tars codec against @tars/stream 2.0.3 over the values of corpus.json.
//   node tars-check.js encode        prints {"name": "<base64 of the value encoded at tag 0>"}
//   node tars-check.js decode FILE   FILE holds {"name": "<base64>"}; prints {"name": {"value": ...}} (or {"error": ...})
// Types are the interface-file names of corpus.json; structs are those of Demo.tars (schema.js).
'use strict';
const fs = require('fs');
const path = require('path');
const { Schema, demoStructs, TarsStream } = require('./schema');

const schema = new Schema(demoStructs);
const corpus = JSON.parse(fs.readFileSync(path.join(__dirname, 'corpus.json'), 'utf8'));

function encode() {
  const out = {};
  for (const entry of corpus) {
    const type = schema.type(entry.type);
    const os = new TarsStream.TarsOutputStream();
    type.write(os, 0, type.fromJson(entry.value));
    out[entry.name] = os.getBinBuffer().toNodeBuffer().toString('base64');
  }
  process.stdout.write(JSON.stringify(out));
}

function decode(file) {
  const input = JSON.parse(fs.readFileSync(file, 'utf8'));
  const out = {};
  for (const entry of corpus) {
    if (!(entry.name in input)) continue;
    try {
      const type = schema.type(entry.type);
      const is = new TarsStream.TarsInputStream(new TarsStream.BinBuffer(Buffer.from(input[entry.name], 'base64')));
      out[entry.name] = { value: type.toJson(type.read(is, 0, true)) };
    } catch (e) {
      out[entry.name] = { error: String(e && e.message || e) };
    }
  }
  process.stdout.write(JSON.stringify(out));
}

const [mode, file] = process.argv.slice(2);
if (mode === 'decode') decode(file);
else if (mode === 'encode') encode();
else { console.error('usage: tars-check.js encode | decode FILE'); process.exit(2); }
