// Tars types described by their interface-file names ("int", "vector<string>", "map<string, long>", "User"), built
// on @tars/stream 2.0.3 the way tars2node's generated code uses it: structs with _readFrom/_writeTo, lists and
// maps as TarsStream.List/Map, vector<byte> as BinBuffer. Each type converts to and from plain JSON values.
'use strict';
const TarsStream = require('@tars/stream');

const scalars = {
  bool: { T: TarsStream.Boolean, r: 'readBoolean', w: 'writeBoolean', def: () => false },
  byte: { T: TarsStream.Int8, r: 'readInt8', w: 'writeInt8', def: () => 0 },
  short: { T: TarsStream.Int16, r: 'readInt16', w: 'writeInt16', def: () => 0 },
  int: { T: TarsStream.Int32, r: 'readInt32', w: 'writeInt32', def: () => 0 },
  long: { T: TarsStream.Int64, r: 'readInt64', w: 'writeInt64', def: () => 0 },
  float: { T: TarsStream.Float, r: 'readFloat', w: 'writeFloat', def: () => 0 },
  double: { T: TarsStream.Double, r: 'readDouble', w: 'writeDouble', def: () => 0 },
  string: { T: TarsStream.String, r: 'readString', w: 'writeString', def: () => '' },
};

function splitArgs(text) {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '<') depth++;
    else if (text[i] === '>') depth--;
    else if (text[i] === ',' && depth === 0) return [text.slice(0, i).trim(), text.slice(i + 1).trim()];
  }
  throw new Error(`bad map type ${text}`);
}

class Schema {
  constructor(structs) {
    this.structDefs = structs; // { Name: [{ tag, name, type }] }
    this.structs = {};
    for (const name of Object.keys(structs)) this.structs[name] = this.makeStruct(name, structs[name]);
  }

  type(name) {
    name = name.trim();
    if (scalars[name]) {
      const s = scalars[name];
      return {
        name, T: s.T, def: s.def,
        read: (is, tag, req) => is[s.r](tag, req, s.def()),
        write: (os, tag, v) => os[s.w](tag, v),
        toJson: v => (name === 'float' ? Math.fround(v) : v),
        fromJson: v => v,
        keyFromJson: k => (name === 'string' ? k : Number(k)),
      };
    }
    if (name === 'vector<byte>') {
      return {
        name, T: TarsStream.BinBuffer, def: () => new TarsStream.BinBuffer(),
        read: (is, tag, req) => is.readBytes(tag, req, TarsStream.BinBuffer),
        write: (os, tag, v) => os.writeBytes(tag, v),
        toJson: v => v.toNodeBuffer().toString('base64'),
        fromJson: v => new TarsStream.BinBuffer(Buffer.from(v, 'base64')),
      };
    }
    if (name.startsWith('vector<')) {
      const element = this.type(name.slice(7, -1));
      const T = TarsStream.List(element.T);
      return {
        name, T, def: () => TarsStream.List(element.T),
        read: (is, tag, req) => is.readList(tag, req, TarsStream.List(element.T)),
        write: (os, tag, v) => os.writeList(tag, v),
        toJson: v => v.value.map(element.toJson),
        fromJson: v => { const l = TarsStream.List(element.T); for (const e of v) l.push(element.fromJson(e)); return l; },
      };
    }
    if (name.startsWith('map<')) {
      const [k, vname] = splitArgs(name.slice(4, -1));
      const key = this.type(k);
      const value = this.type(vname);
      return {
        name, T: TarsStream.Map(key.T, value.T), def: () => TarsStream.Map(key.T, value.T),
        read: (is, tag, req) => is.readMap(tag, req, TarsStream.Map(key.T, value.T)),
        write: (os, tag, v) => os.writeMap(tag, v),
        toJson: m => { const out = {}; m.forEach((kk, vv) => { out[String(kk)] = value.toJson(vv); }); return out; },
        fromJson: o => { const m = TarsStream.Map(key.T, value.T); for (const kk of Object.keys(o)) m.insert(key.keyFromJson(kk), value.fromJson(o[kk])); return m; },
      };
    }
    const S = this.structs[name];
    if (!S) throw new Error(`unknown type ${name}`);
    return {
      name, T: S, def: () => new S(),
      read: (is, tag, req) => is.readStruct(tag, req, S),
      write: (os, tag, v) => os.writeStruct(tag, v),
      toJson: v => S.toJson(v),
      fromJson: v => S.fromJson(v),
    };
  }

  makeStruct(name, fields) {
    const schema = this;
    const resolved = () => fields.map(f => ({ ...f, t: schema.type(f.type) }));
    let cache;
    const all = () => (cache ||= resolved());
    const S = function () {
      for (const f of all()) this[f.name] = f.t.def();
      this._classname = name;
    };
    S._classname = name;
    S._write = (os, tag, value) => os.writeStruct(tag, value);
    S._read = (is, tag) => is.readStruct(tag, true, S);
    S._readFrom = is => {
      const v = new S();
      for (const f of all()) v[f.name] = f.t.read(is, f.tag, false);
      return v;
    };
    S.prototype._writeTo = function (os) { for (const f of all()) f.t.write(os, f.tag, this[f.name]); };
    S.prototype._equal = undefined;
    S.toJson = v => { const o = {}; for (const f of all()) o[f.name] = f.t.toJson(v[f.name]); return o; };
    S.fromJson = o => { const v = new S(); for (const f of all()) if (o[f.name] !== undefined && o[f.name] !== null) v[f.name] = f.t.fromJson(o[f.name]); return v; };
    return S;
  }
}

// The structs of Demo.tars (kept in step with it by hand; the tests read the .tars file itself).
const demoStructs = {
  Address: [
    { tag: 0, name: 'city', type: 'string' },
    { tag: 1, name: 'zip', type: 'int' },
  ],
  User: [
    { tag: 0, name: 'id', type: 'long' },
    { tag: 1, name: 'name', type: 'string' },
    { tag: 2, name: 'tags', type: 'vector<string>' },
    { tag: 3, name: 'address', type: 'Address' },
    { tag: 4, name: 'scores', type: 'map<string, int>' },
    { tag: 20, name: 'note', type: 'string' },
  ],
};

module.exports = { Schema, demoStructs, TarsStream };
