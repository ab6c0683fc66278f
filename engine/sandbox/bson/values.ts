// The sandbox's typed view of BSON. Documents are Maps, so field order survives every edit (a plain
// object would move integer-like keys to the front). Numbers stay wrapped (Double, Int32, Long,
// Decimal128) so an update never changes a type it did not touch. Deprecated or opaque types that the
// js-bson classes cannot round-trip (Undefined, DBPointer, Code with scope) are kept as their raw bytes.
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'mongodb';

export { Binary, BSONRegExp, BSONSymbol, Code, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp };

export const BsonType = {
  double: 0x01,
  string: 0x02,
  object: 0x03,
  array: 0x04,
  binData: 0x05,
  undefined: 0x06,
  objectId: 0x07,
  bool: 0x08,
  date: 0x09,
  null: 0x0a,
  regex: 0x0b,
  dbPointer: 0x0c,
  javascript: 0x0d,
  symbol: 0x0e,
  javascriptWithScope: 0x0f,
  int: 0x10,
  timestamp: 0x11,
  long: 0x12,
  decimal: 0x13,
  minKey: 0xff,
  maxKey: 0x7f,
} as const;

/** A value kept as its encoded bytes (the element's value part, without type byte and name). */
export class RawValue {
  constructor(
    readonly type: number,
    readonly bytes: Buffer,
  ) {}
}

/** A complete BSON document kept as bytes; embedded verbatim when encoded. */
export class RawDocument {
  constructor(readonly bytes: Buffer) {}
}

export type BsonDoc = Map<string, BsonValue>;

export type BsonValue =
  | Double
  | Int32
  | Long
  | Decimal128
  | string
  | boolean
  | null
  | Date
  | ObjectId
  | Binary
  | BSONRegExp
  | BSONSymbol
  | Code
  | Timestamp
  | MinKey
  | MaxKey
  | RawValue
  | RawDocument
  | BsonDoc
  | BsonValue[];

/** Values accepted by the encoder: the typed view plus plain JS conveniences used when building replies. */
export type EncodableValue =
  BsonValue | number | bigint | undefined | RegExp | EncodableValue[] | { readonly [key: string]: EncodableValue };

export function isDoc(value: unknown): value is BsonDoc {
  return value instanceof Map;
}

export function typeOf(value: BsonValue): number {
  if (value === null) return BsonType.null;
  switch (typeof value) {
    case 'string':
      return BsonType.string;
    case 'boolean':
      return BsonType.bool;
  }
  if (value instanceof Map || value instanceof RawDocument) return BsonType.object;
  if (Array.isArray(value)) return BsonType.array;
  if (value instanceof Date) return BsonType.date;
  if (value instanceof RawValue) return value.type;
  switch (value._bsontype) {
    case 'Double':
      return BsonType.double;
    case 'Int32':
      return BsonType.int;
    case 'Long':
      return BsonType.long;
    case 'Decimal128':
      return BsonType.decimal;
    case 'ObjectId':
      return BsonType.objectId;
    case 'Binary':
      return BsonType.binData;
    case 'BSONRegExp':
      return BsonType.regex;
    case 'BSONSymbol':
      return BsonType.symbol;
    case 'Code':
      return BsonType.javascript;
    case 'Timestamp':
      return BsonType.timestamp;
    case 'MinKey':
      return BsonType.minKey;
    case 'MaxKey':
      return BsonType.maxKey;
  }
  throw new Error(`unknown BSON value ${String(value)}`);
}

/** MongoDB's $type alias for a BSON type number. */
export const typeAlias: Record<number, string> = Object.fromEntries(
  Object.entries(BsonType).map(([alias, code]) => [code, alias]),
);
