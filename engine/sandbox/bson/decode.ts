// Decodes BSON into the typed view (values.ts) without losing types, order or unusual encodings.
import { elements } from './raw.js';
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  BsonType,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  RawValue,
  Timestamp,
  type BsonDoc,
  type BsonValue,
} from './values.js';

const CANONICAL_NAN = Buffer.from('000000000000f87f', 'hex');
const MAX_DATE_MS = 8.64e15;

export function decodeDocument(buf: Buffer, offset = 0): BsonDoc {
  const doc: BsonDoc = new Map();
  for (const { type, name, start, end } of elements(buf, offset)) doc.set(name, decodeValue(buf, type, start, end));
  return doc;
}

export function decodeArray(buf: Buffer, offset = 0): BsonValue[] {
  const out: BsonValue[] = [];
  for (const { type, start, end } of elements(buf, offset)) out.push(decodeValue(buf, type, start, end));
  return out;
}

export function decodeValue(buf: Buffer, type: number, start: number, end: number): BsonValue {
  switch (type) {
    case BsonType.double: {
      const value = buf.readDoubleLE(start);
      // A NaN with a payload other than the canonical one would be normalised by Double: keep its bytes.
      if (Number.isNaN(value) && !buf.subarray(start, end).equals(CANONICAL_NAN)) return raw(buf, type, start, end);
      return new Double(value);
    }
    case BsonType.string:
      return buf.toString('utf8', start + 4, end - 1);
    case BsonType.object:
      return decodeDocument(buf, start);
    case BsonType.array:
      return decodeArray(buf, start);
    case BsonType.binData: {
      const subtype = buf[start + 4];
      // Subtype 2 carries an inner length that js-bson rewrites; keep it verbatim.
      if (subtype === 2) return raw(buf, type, start, end);
      return new Binary(Buffer.from(buf.subarray(start + 5, end)), subtype);
    }
    case BsonType.objectId:
      return new ObjectId(Buffer.from(buf.subarray(start, end)));
    case BsonType.bool:
      return buf[start] === 1;
    case BsonType.date: {
      const ms = Number(buf.readBigInt64LE(start));
      if (Math.abs(ms) > MAX_DATE_MS) return raw(buf, type, start, end);
      return new Date(ms);
    }
    case BsonType.null:
      return null;
    case BsonType.regex: {
      const patternEnd = buf.indexOf(0, start);
      const pattern = buf.toString('utf8', start, patternEnd);
      const options = buf.toString('utf8', patternEnd + 1, end - 1);
      // BSONRegExp sorts its options and rejects any outside "ilmsux" (mongod stores them all); keep
      // the original bytes when it would change or refuse them.
      const canonical = /^[ilmsux]*$/.test(options) && [...options].sort().join('') === options;
      return canonical ? new BSONRegExp(pattern, options) : raw(buf, type, start, end);
    }
    case BsonType.javascript:
      return new Code(buf.toString('utf8', start + 4, end - 1));
    case BsonType.symbol:
      return new BSONSymbol(buf.toString('utf8', start + 4, end - 1));
    case BsonType.int:
      return new Int32(buf.readInt32LE(start));
    case BsonType.timestamp:
      return new Timestamp({ i: buf.readUInt32LE(start), t: buf.readUInt32LE(start + 4) });
    case BsonType.long:
      return new Long(buf.readInt32LE(start), buf.readInt32LE(start + 4), false);
    case BsonType.decimal:
      return new Decimal128(Buffer.from(buf.subarray(start, end)));
    case BsonType.minKey:
      return new MinKey();
    case BsonType.maxKey:
      return new MaxKey();
    default:
      // undefined, DBPointer, code with scope: rarely used, kept byte for byte.
      return raw(buf, type, start, end);
  }
}

function raw(buf: Buffer, type: number, start: number, end: number): RawValue {
  return new RawValue(type, Buffer.from(buf.subarray(start, end)));
}
