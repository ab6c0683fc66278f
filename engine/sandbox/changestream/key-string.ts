// MongoDB's KeyString (version 1) encoding of BSON values: byte strings whose byte-wise order is the
// BSON comparison order. Resume tokens are KeyStrings, so tokens built here order exactly as mongod's
// do. The numeric type of each number (int, long, double) does not affect the order and is kept apart
// in "type bits", as mongod does.
import { decodeDocument } from '../bson/decode.js';
import { encodeDocument } from '../bson/encode.js';
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
  RawDocument,
  RawValue,
  Timestamp,
  type BsonDoc,
  type BsonValue,
  type EncodableValue,
} from '../bson/values.js';

/** The type byte that starts every encoded value (mongod's CType). */
export const CType = {
  minKey: 10,
  undefined: 15,
  nullish: 20,
  numeric: 30,
  numericNaN: 30,
  negativeLargeMagnitude: 31,
  negative8ByteInt: 32,
  negative1ByteInt: 39,
  negativeSmallMagnitude: 40,
  numericZero: 41,
  positiveSmallMagnitude: 42,
  positive1ByteInt: 43,
  positive8ByteInt: 50,
  positiveLargeMagnitude: 51,
  stringLike: 60,
  object: 70,
  array: 80,
  binData: 90,
  oid: 100,
  boolFalse: 110,
  boolTrue: 111,
  date: 120,
  timestamp: 130,
  regex: 140,
  dbRef: 150,
  code: 160,
  codeWithScope: 170,
  maxKey: 240,
} as const;

export const KEY_STRING_END = 4;

const UINT64_MASK = (1n << 64n) - 1n;
const MIN_LARGE_DOUBLE = 2 ** 63;
const TINIEST_DOUBLE_WITH_2_BIT_DCM = 2 ** -255;

/** Which numeric type a number had, as two type bits (int 00, double 01, long 10, decimal 11). */
const NumberTypeBits = { int: [0, 0], double: [0, 1], long: [1, 0], decimal: [1, 1] } as const;

/** The type bits of a KeyString: one bit per string (string or symbol), two per number. */
class TypeBits {
  private readonly bits: number[] = [];

  append(...bits: readonly number[]): void {
    this.bits.push(...bits);
  }

  /** mongod's V1 serialization, or undefined when every bit is zero (then mongod sends none). */
  toBytes(): Buffer | undefined {
    if (!this.bits.includes(1)) return undefined;
    const data = Buffer.alloc(Math.ceil(this.bits.length / 8));
    this.bits.forEach((bit, index) => {
      if (bit) data[index >> 3] |= 1 << (index & 7);
    });
    if (data.length === 1 && data[0] < 0x80) return data;
    if (data.length <= 127) return Buffer.concat([Buffer.from([0x80 | data.length]), data]);
    const size = Buffer.alloc(5);
    size[0] = 0x80;
    size.writeUInt32LE(data.length, 1);
    return Buffer.concat([size, data]);
  }
}

export class KeyStringBuilder {
  private readonly chunks: Buffer[] = [];
  private readonly typeBits = new TypeBits();

  appendValue(value: BsonValue): this {
    this.value(value);
    return this;
  }

  /** The key (with its end byte) and the type bits mongod would report beside it. */
  finish(): { key: Buffer; typeBits?: Buffer } {
    this.byte(KEY_STRING_END);
    return { key: Buffer.concat(this.chunks), typeBits: this.typeBits.toBytes() };
  }

  private byte(value: number, invert = false): void {
    this.chunks.push(Buffer.from([invert ? ~value & 0xff : value]));
  }

  private bytes(data: Uint8Array, invert = false): void {
    const copy = Buffer.from(data);
    if (invert) for (let i = 0; i < copy.length; i++) copy[i] = ~copy[i] & 0xff;
    this.chunks.push(copy);
  }

  private uint64(value: bigint, invert = false): void {
    const data = Buffer.alloc(8);
    data.writeBigUInt64BE(value & UINT64_MASK);
    this.bytes(data, invert);
  }

  private value(value: BsonValue): void {
    if (value === null) return this.byte(CType.nullish);
    if (typeof value === 'string') {
      this.typeBits.append(0);
      this.byte(CType.stringLike);
      return this.stringLike(value);
    }
    if (typeof value === 'boolean') return this.byte(value ? CType.boolTrue : CType.boolFalse);
    if (value instanceof Map) return this.object(value);
    if (value instanceof RawDocument) return this.object(decodeDocument(value.bytes));
    if (Array.isArray(value)) {
      this.byte(CType.array);
      for (const item of value) this.value(item);
      return this.byte(0);
    }
    if (value instanceof Date) return this.date(BigInt(value.getTime()));
    if (value instanceof RawValue) return this.raw(value);
    if (value instanceof Double) {
      this.typeBits.append(...NumberTypeBits.double);
      return this.double(value.value);
    }
    if (value instanceof Int32) {
      this.typeBits.append(...NumberTypeBits.int);
      return this.integer(BigInt(value.value));
    }
    // Timestamp derives from Long in js-bson, so it must be told apart first.
    if (value instanceof Timestamp) return this.timestamp(value);
    if (value instanceof Long) {
      this.typeBits.append(...NumberTypeBits.long);
      return this.integer(value.toBigInt());
    }
    if (value instanceof Decimal128) return this.decimal(value);
    if (value instanceof BSONSymbol) {
      this.typeBits.append(1);
      this.byte(CType.stringLike);
      return this.stringLike(value.value);
    }
    if (value instanceof Binary) return this.binData(value.sub_type, value.buffer.subarray(0, value.position));
    if (value instanceof ObjectId) {
      this.byte(CType.oid);
      return this.bytes(value.id);
    }
    if (value instanceof BSONRegExp) {
      this.byte(CType.regex);
      this.bytes(Buffer.from(`${value.pattern}\0${value.options}\0`, 'utf8'));
      return;
    }
    if (value instanceof Code) return this.code(value);
    if (value instanceof MinKey) return this.byte(CType.minKey);
    if (value instanceof MaxKey) return this.byte(CType.maxKey);
    throw new TypeError(`cannot encode ${String(value)} as a KeyString`);
  }

  private timestamp(value: Timestamp): void {
    this.byte(CType.timestamp);
    this.uint64((BigInt(value.t) << 32n) | BigInt(value.i));
  }

  private date(millis: bigint): void {
    this.byte(CType.date);
    // Offset binary: flipping the sign bit makes negative dates sort first.
    this.uint64(BigInt.asUintN(64, millis) ^ (1n << 63n));
  }

  private object(doc: BsonDoc): void {
    this.byte(CType.object);
    this.fields(doc);
  }

  /** Each field as (generic type, name, value), so documents order like BSON: by type, name, value. */
  private fields(doc: BsonDoc): void {
    for (const [name, field] of doc) {
      this.byte(genericType(field));
      this.bytes(Buffer.from(`${name}\0`, 'utf8'));
      this.value(field);
    }
    this.byte(0);
  }

  /** A NUL inside the string becomes 00 FF, so the terminating 00 still sorts first. */
  private stringLike(text: string): void {
    const utf8 = Buffer.from(text, 'utf8');
    let start = 0;
    for (let nul = utf8.indexOf(0); nul >= 0; nul = utf8.indexOf(0, start)) {
      this.bytes(utf8.subarray(start, nul));
      this.bytes(Buffer.from([0x00, 0xff]));
      start = nul + 1;
    }
    this.bytes(utf8.subarray(start));
    this.byte(0);
  }

  private binData(subtype: number, data: Uint8Array): void {
    this.byte(CType.binData);
    if (data.length < 0xff) {
      this.byte(data.length);
    } else {
      const size = Buffer.alloc(5);
      size[0] = 0xff;
      size.writeInt32BE(data.length, 1);
      this.bytes(size);
    }
    this.byte(subtype);
    this.bytes(data);
  }

  private code(value: Code): void {
    if (!value.scope) {
      this.byte(CType.code);
      return this.stringLike(value.code);
    }
    this.byte(CType.codeWithScope);
    this.stringLike(value.code);
    this.fields(decodeDocument(encodeDocument(value.scope as EncodableValue)));
  }

  private raw(value: RawValue): void {
    const bytes = value.bytes;
    switch (value.type) {
      case BsonType.undefined:
        return this.byte(CType.undefined);
      case BsonType.double:
        // A NaN with a payload: every NaN sorts the same.
        this.typeBits.append(...NumberTypeBits.double);
        return this.byte(CType.numericNaN);
      case BsonType.binData:
        return this.binData(bytes[4], bytes.subarray(5));
      case BsonType.date:
        return this.date(bytes.readBigInt64LE(0));
      case BsonType.dbPointer: {
        const nsLength = bytes.readInt32LE(0) - 1;
        const size = Buffer.alloc(4);
        size.writeInt32BE(nsLength);
        this.byte(CType.dbRef);
        this.bytes(size);
        this.bytes(bytes.subarray(4, 4 + nsLength));
        return this.bytes(bytes.subarray(5 + nsLength, 17 + nsLength));
      }
      case BsonType.javascriptWithScope: {
        const codeLength = bytes.readInt32LE(4);
        this.byte(CType.codeWithScope);
        this.stringLike(bytes.toString('utf8', 8, 8 + codeLength - 1));
        return this.fields(decodeDocument(bytes, 8 + codeLength));
      }
    }
    throw new TypeError(`cannot encode raw BSON type 0x${value.type.toString(16)} as a KeyString`);
  }

  private integer(value: bigint): void {
    if (value === -(1n << 63n)) return this.largeDouble(-MIN_LARGE_DOUBLE, false);
    if (value === 0n) return this.byte(CType.numericZero);
    const negative = value < 0n;
    this.preshiftedInteger((negative ? -value : value) << 1n, negative);
  }

  /** An integer magnitude already shifted left one bit (the low bit says a fraction follows). */
  private preshiftedInteger(value: bigint, negative: boolean): void {
    const length = Math.ceil(value.toString(2).length / 8);
    const data = Buffer.alloc(8);
    data.writeBigUInt64BE(value);
    if (negative) {
      this.byte(CType.negative1ByteInt - (length - 1));
      this.bytes(data.subarray(8 - length), true);
    } else {
      this.byte(CType.positive1ByteInt + (length - 1));
      this.bytes(data.subarray(8 - length));
    }
  }

  /** A double; `inexact` marks a decimal that is not exactly this double. */
  private double(value: number, inexact = false): void {
    const negative = value < 0;
    const magnitude = Math.abs(value);
    if (Number.isNaN(value)) return this.byte(CType.numericNaN);
    if (magnitude === 0) return this.byte(CType.numericZero);
    if (magnitude < 1) return this.smallDouble(magnitude, negative, inexact);
    if (magnitude >= MIN_LARGE_DOUBLE) return this.largeDouble(value, inexact);
    const integerPart = BigInt(Math.floor(magnitude));
    if (Number(integerPart) === magnitude && !inexact) return this.preshiftedInteger(integerPart << 1n, negative);
    // The fraction fills the bytes the integer part leaves free in 8 bytes, after a "has fraction" bit.
    const fractionalBytes = Math.floor((64 - (integerPart << 1n).toString(2).length) / 8);
    this.byte(negative ? CType.negative8ByteInt + fractionalBytes : CType.positive8ByteInt - fractionalBytes);
    const scaled = BigInt(magnitude * 2 ** (8 * fractionalBytes));
    const encoded = scaled + ((integerPart + 1n) << BigInt(fractionalBytes * 8));
    this.uint64(encoded | (inexact ? 3n : 0n), negative);
  }

  private smallDouble(magnitude: number, negative: boolean, inexact: boolean): void {
    this.byte(negative ? CType.negativeSmallMagnitude : CType.positiveSmallMagnitude);
    let encoded: bigint;
    if (magnitude >= TINIEST_DOUBLE_WITH_2_BIT_DCM) {
      encoded = (doubleBits(magnitude) << 2n) | (inexact ? 3n : 0n);
    } else {
      encoded = ((doubleBits(magnitude * 2 ** 256) << 1n) | (inexact ? 1n : 0n)) + (1n << 62n);
    }
    this.uint64(encoded, negative);
  }

  private largeDouble(value: number, inexact: boolean): void {
    this.byte(value > 0 ? CType.positiveLargeMagnitude : CType.negativeLargeMagnitude);
    const encoded = Number.isFinite(value)
      ? ((doubleBits(value) << 1n) & ~(1n << 63n)) | (inexact ? 1n : 0n)
      : UINT64_MASK;
    this.uint64(encoded, value < 0);
  }

  /**
   * Decimals equal to a double encode as that double. Others encode as their nearest double marked
   * inexact, without mongod's decimal continuation: they still sort correctly against other numbers
   * except against decimals that round to the same double.
   */
  private decimal(value: Decimal128): void {
    this.typeBits.append(...NumberTypeBits.decimal, 0, 0, 0, 0, 0, 0);
    const text = value.toString();
    const number = Number(text);
    if (Number.isNaN(number)) return this.byte(CType.numericNaN);
    if (number === 0 && /^-?0(\.0*)?(E[+-]?\d+)?$/i.test(text)) return this.byte(CType.numericZero);
    if (!Number.isFinite(number)) return this.largeDouble(number, false);
    this.double(number, !sameDecimal(number, text));
  }
}

function doubleBits(value: number): bigint {
  const data = Buffer.alloc(8);
  data.writeDoubleBE(value);
  return data.readBigUInt64BE();
}

function sameDecimal(number: number, text: string): boolean {
  try {
    return Decimal128.fromString(String(number)).toString() === Decimal128.fromString(text).toString();
  } catch {
    return false;
  }
}

/** The type byte written before a field name: one per canonical type, so fields order by type first. */
function genericType(value: BsonValue): number {
  if (value === null) return CType.nullish;
  if (typeof value === 'string') return CType.stringLike;
  if (typeof value === 'boolean') return CType.boolFalse;
  if (value instanceof Map || value instanceof RawDocument) return CType.object;
  if (Array.isArray(value)) return CType.array;
  if (value instanceof Date) return CType.date;
  if (value instanceof RawValue) return RAW_GENERIC_TYPES[value.type] ?? CType.nullish;
  switch (value._bsontype) {
    case 'Double':
    case 'Int32':
    case 'Long':
    case 'Decimal128':
      return CType.numeric;
    case 'BSONSymbol':
      return CType.stringLike;
    case 'Binary':
      return CType.binData;
    case 'ObjectId':
      return CType.oid;
    case 'Timestamp':
      return CType.timestamp;
    case 'BSONRegExp':
      return CType.regex;
    case 'Code':
      return value.scope ? CType.codeWithScope : CType.code;
    case 'MinKey':
      return CType.minKey;
    case 'MaxKey':
      return CType.maxKey;
  }
  return CType.nullish;
}

const RAW_GENERIC_TYPES: Record<number, number> = {
  [BsonType.undefined]: CType.undefined,
  [BsonType.double]: CType.numeric,
  [BsonType.binData]: CType.binData,
  [BsonType.date]: CType.date,
  [BsonType.dbPointer]: CType.dbRef,
  [BsonType.javascriptWithScope]: CType.codeWithScope,
};
