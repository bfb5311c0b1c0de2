// Cross-check of Gatehouse's hessian2 codec against hessian.js.
//   node hessian-check.js decode FILE   FILE holds {"name": "<base64 hessian2>"}; prints {"name": {"value": ..., "type": ...}}
//   node hessian-check.js encode        prints {"name": "<base64 hessian2>"} for the corpus below
// Values are printed in a canonical JSON form: dates {"$date": ms}, binary {"$bin": base64}, objects and maps as
// JSON objects; "type" is the $class hessian.js reports for the top-level value (withType decoding).
'use strict';
const fs = require('fs');
const hessian = require('hessian.js');

function canonical(value) {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return { $bin: value.toString('base64') };
  if (value instanceof Date) return { $date: value.getTime() };
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object') {
    if (typeof value.toNumber === 'function' && 'low' in value && 'high' in value) return value.toNumber();
    if (value instanceof Map) {
      const out = {};
      for (const [k, v] of value) out[String(k)] = canonical(v);
      return out;
    }
    const out = {};
    for (const key of Object.keys(value)) out[key] = canonical(value[key]);
    return out;
  }
  return value;
}

function decode(file) {
  const input = JSON.parse(fs.readFileSync(file, 'utf8'));
  const out = {};
  for (const name of Object.keys(input)) {
    const buf = Buffer.from(input[name], 'base64');
    try {
      const typed = hessian.decode(buf, '2.0', true);
      out[name] = {
        value: canonical(hessian.decode(buf, '2.0')),
        type: typed && typeof typed === 'object' && typed.$class ? typed.$class : null,
      };
    } catch (e) {
      out[name] = { error: String(e && e.message || e) };
    }
  }
  process.stdout.write(JSON.stringify(out));
}

function corpus() {
  const shared = { x: 1 };
  const big = 'x'.repeat(69999) + '\u{1F600}';
  return {
    null: null,
    true: true,
    false: false,
    int_small: 7,
    int_negative: -1000,
    int_three_bytes: 200000,
    int_max: 2147483647,
    int_min: -2147483648,
    long_typed: { $class: 'long', $: 123 },
    long_big: { $class: 'long', $: 1099511627776 },
    double: 3.25,
    double_fraction: 0.1,
    string_empty: '',
    string_ascii: 'hello',
    string_unicode: 'héllo wörld 中文',
    string_non_bmp: 'a\u{1F600}b\u{1D11E}',
    string_long: 'y'.repeat(5000),
    string_chunked: big,
    binary: Buffer.from([0, 1, 2, 254, 255]),
    binary_big: Buffer.alloc(70000, 7),
    date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
    list: [1, 'two', null, true],
    list_long: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    list_typed: { $class: '[int', $: [{ $class: 'int', $: 1 }, { $class: 'int', $: 2 }] },
    map: { a: 1, b: 'x', c: [1, 2], d: { e: null } },
    map_typed: { $class: 'java.util.HashMap', $: { k: 'v' } },
    object: {
      $class: 'com.example.Person',
      $: {
        name: { $class: 'java.lang.String', $: 'Ann' },
        age: { $class: 'int', $: 30 },
        friend: { $class: 'com.example.Person', $: { name: { $class: 'java.lang.String', $: 'Bob' }, age: { $class: 'int', $: 31 }, friend: null } },
      },
    },
    exception: { $class: 'java.lang.IllegalStateException', $: { detailMessage: { $class: 'java.lang.String', $: 'boom' } } },
    shared_reference: [shared, shared],
  };
}

function encode() {
  const values = corpus();
  const out = {};
  for (const name of Object.keys(values)) {
    out[name] = hessian.encode(values[name], '2.0').toString('base64');
  }
  process.stdout.write(JSON.stringify(out));
}

const [mode, file] = process.argv.slice(2);
if (mode === 'decode') decode(file);
else if (mode === 'encode') encode();
else { console.error('usage: hessian-check.js decode FILE | encode'); process.exit(2); }
