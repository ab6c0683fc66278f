// Encodes the typed view (and the plain JS values used to build replies) into BSON.
import { BsonType, RawDocument, RawValue, type EncodableValue } from './values.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

class Writer {
  buf = Buffer.allocUnsafe(256);
  pos = 0;

  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  byte(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }
  int32(value: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(value, this.pos);
    this.pos += 4;
  }
  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }
  cstring(value: string): void {
    const length = Buffer.byteLength(value);
    this.ensure(length + 1);
    this.buf.write(value, this.pos, 'utf8');
    this.pos += length;
    this.buf[this.pos++] = 0;
  }
  string(value: string): void {
    const length = Buffer.byteLength(value);
    this.int32(length + 1);
    this.cstring(value);
  }
}

export function encodeDocument(doc: EncodableValue): Buffer {
  const writer = new Writer();
  writeDocument(writer, doc);
  return Buffer.from(writer.buf.subarray(0, writer.pos));
}

function entriesOf(doc: EncodableValue): Iterable<[string, EncodableValue]> {
  if (doc instanceof Map) return doc.entries();
  if (Array.isArray(doc)) return doc.map((value, index): [string, EncodableValue] => [String(index), value]);
  if (typeof doc === 'object' && doc !== null) return Object.entries(doc as Record<string, EncodableValue>);
  throw new TypeError('a BSON document must be an object');
}

function writeDocument(writer: Writer, doc: EncodableValue): void {
  if (doc instanceof RawDocument) return writer.bytes(doc.bytes);
  const start = writer.pos;
  writer.int32(0);
  for (const [name, value] of entriesOf(doc)) {
    if (value === undefined) continue;
    writeElement(writer, name, value);
  }
  writer.byte(0);
  writer.buf.writeInt32LE(writer.pos - start, start);
}

function writeElement(writer: Writer, name: string, value: EncodableValue): void {
  const typeAt = writer.pos;
  writer.byte(0);
  writer.cstring(name);
  // writeValue may grow (replace) writer.buf: read the property only after it returns.
  const type = writeValue(writer, value);
  writer.buf[typeAt] = type;
}

/** Writes the value part and returns the BSON type byte it used. */
function writeValue(writer: Writer, value: EncodableValue): number {
  if (value === null) return BsonType.null;
  switch (typeof value) {
    case 'string':
      writer.string(value);
      return BsonType.string;
    case 'boolean':
      writer.byte(value ? 1 : 0);
      return BsonType.bool;
    case 'number':
      if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0)) {
        writer.int32(value);
        return BsonType.int;
      }
      writer.ensure(8);
      writer.buf.writeDoubleLE(value, writer.pos);
      writer.pos += 8;
      return BsonType.double;
    case 'bigint':
      writer.ensure(8);
      writer.buf.writeBigInt64LE(BigInt.asIntN(64, value), writer.pos);
      writer.pos += 8;
      return BsonType.long;
  }
  if (value instanceof RawValue) {
    writer.bytes(value.bytes);
    return value.type;
  }
  if (value instanceof RawDocument) {
    writer.bytes(value.bytes);
    return BsonType.object;
  }
  if (Array.isArray(value)) {
    writeDocument(writer, value);
    return BsonType.array;
  }
  if (value instanceof Map) {
    writeDocument(writer, value);
    return BsonType.object;
  }
  if (value instanceof Date) {
    writer.ensure(8);
    writer.buf.writeBigInt64LE(BigInt(value.getTime()), writer.pos);
    writer.pos += 8;
    return BsonType.date;
  }
  if (value instanceof RegExp) {
    writer.cstring(value.source);
    writer.cstring(regexFlagsToOptions(value.flags));
    return BsonType.regex;
  }
  if (typeof value === 'object' && value !== null && '_bsontype' in value) {
    switch (value._bsontype) {
      case 'Double':
        writer.ensure(8);
        writer.buf.writeDoubleLE(value.value, writer.pos);
        writer.pos += 8;
        return BsonType.double;
      case 'Int32':
        writer.int32(value.value);
        return BsonType.int;
      case 'Long':
        writer.int32(value.low);
        writer.int32(value.high);
        return BsonType.long;
      case 'Timestamp':
        writer.int32(value.low);
        writer.int32(value.high);
        return BsonType.timestamp;
      case 'Decimal128':
        writer.bytes(value.bytes);
        return BsonType.decimal;
      case 'ObjectId':
        writer.bytes(value.id);
        return BsonType.objectId;
      case 'Binary': {
        const data = value.buffer.subarray(0, value.position);
        writer.int32(data.length);
        writer.byte(value.sub_type);
        writer.bytes(data);
        return BsonType.binData;
      }
      case 'BSONRegExp':
        writer.cstring(value.pattern);
        writer.cstring(value.options);
        return BsonType.regex;
      case 'BSONSymbol':
        writer.string(value.value);
        return BsonType.symbol;
      case 'Code':
        if (value.scope) {
          const start = writer.pos;
          writer.int32(0);
          writer.string(value.code);
          writeDocument(writer, value.scope as EncodableValue);
          writer.buf.writeInt32LE(writer.pos - start, start);
          return BsonType.javascriptWithScope;
        }
        writer.string(value.code);
        return BsonType.javascript;
      case 'MinKey':
        return BsonType.minKey;
      case 'MaxKey':
        return BsonType.maxKey;
    }
  }
  if (typeof value === 'object' && value !== null) {
    writeDocument(writer, value);
    return BsonType.object;
  }
  throw new TypeError(`cannot encode ${String(value)} as BSON`);
}

function regexFlagsToOptions(flags: string): string {
  return [...flags]
    .map((flag) => ({ i: 'i', m: 'm', s: 's', u: 'u', x: 'x' })[flag] ?? '')
    .sort()
    .join('');
}
