// MongoDB's total order over BSON values (the order of sort, of index keys and of $lt/$gt between
// values of one type): first by canonical type, then within the type. Mirrors compareElementValues
// in mongod's bsonelement.cpp, including its byte-wise string order (simple collation). A collation
// passes its own string comparator, which applies to strings and symbols at any depth (not to field
// names, code or regexes, as in mongod).
import { decodeDocument } from './decode.js';
import { encodeDocument } from './encode.js';
import { compareNumbers, isBsonNumber } from './numeric.js';
import { getKeyValues } from './path.js';
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
} from './values.js';

/** mongod's canonicalizeBSONType: types that compare with each other share a number. */
export const CanonicalType = {
  minKey: -1,
  undefined: 0,
  null: 5,
  number: 10,
  string: 15,
  object: 20,
  array: 25,
  binData: 30,
  objectId: 35,
  bool: 40,
  date: 45,
  timestamp: 47,
  regex: 50,
  dbPointer: 55,
  code: 60,
  codeWithScope: 65,
  maxKey: 127,
} as const;

const RAW_CANONICAL: Record<number, number> = {
  [BsonType.double]: CanonicalType.number,
  [BsonType.binData]: CanonicalType.binData,
  [BsonType.undefined]: CanonicalType.undefined,
  [BsonType.date]: CanonicalType.date,
  [BsonType.regex]: CanonicalType.regex,
  [BsonType.dbPointer]: CanonicalType.dbPointer,
  [BsonType.javascript]: CanonicalType.code,
  [BsonType.symbol]: CanonicalType.string,
  [BsonType.string]: CanonicalType.string,
  [BsonType.javascriptWithScope]: CanonicalType.codeWithScope,
};

export function canonicalTypeOrder(value: BsonValue): number {
  if (value === null) return CanonicalType.null;
  if (typeof value === 'string') return CanonicalType.string;
  if (typeof value === 'boolean') return CanonicalType.bool;
  if (value instanceof Map || value instanceof RawDocument) return CanonicalType.object;
  if (Array.isArray(value)) return CanonicalType.array;
  if (value instanceof Date) return CanonicalType.date;
  if (value instanceof RawValue) {
    const canonical = RAW_CANONICAL[value.type];
    if (canonical === undefined) throw new Error(`cannot compare raw BSON type 0x${value.type.toString(16)}`);
    return canonical;
  }
  if (value instanceof Timestamp) return CanonicalType.timestamp;
  if (value instanceof Double || value instanceof Int32 || value instanceof Long || value instanceof Decimal128) {
    return CanonicalType.number;
  }
  if (value instanceof BSONSymbol) return CanonicalType.string;
  if (value instanceof Binary) return CanonicalType.binData;
  if (value instanceof ObjectId) return CanonicalType.objectId;
  if (value instanceof BSONRegExp) return CanonicalType.regex;
  if (value instanceof Code) return value.scope ? CanonicalType.codeWithScope : CanonicalType.code;
  if (value instanceof MinKey) return CanonicalType.minKey;
  if (value instanceof MaxKey) return CanonicalType.maxKey;
  throw new Error(`unknown BSON value ${String(value)}`);
}

/**
 * How two strings compare, as -1, 0 or 1: compareStrings (byte-wise, the simple collation) or a
 * collation's comparator (Intl.Collator's compare answers -1, 0 or 1 too).
 */
export type StringOrder = (a: string, b: string) => number;

/** Negative, zero or positive (always -1, 0 or 1) as `a` sorts before, with or after `b`. */
export function compareValues(a: BsonValue, b: BsonValue, compareString: StringOrder = compareStrings): number {
  const ta = canonicalTypeOrder(a);
  const tb = canonicalTypeOrder(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case CanonicalType.number:
      return compareNumbers(a as Parameters<typeof compareNumbers>[0], b as Parameters<typeof compareNumbers>[0]);
    case CanonicalType.string:
      return compareString(stringOf(a), stringOf(b));
    case CanonicalType.object:
      return compareDocuments(docOf(a), docOf(b), compareString);
    case CanonicalType.array:
      return compareArrays(a as BsonValue[], b as BsonValue[], compareString);
    case CanonicalType.binData:
      return compareBinaries(a as Binary | RawValue, b as Binary | RawValue);
    case CanonicalType.objectId:
      return sign(Buffer.compare((a as ObjectId).id, (b as ObjectId).id));
    case CanonicalType.bool:
      return a === b ? 0 : a ? 1 : -1;
    case CanonicalType.date:
      return compareDates(a as Date | RawValue, b as Date | RawValue);
    case CanonicalType.timestamp:
      return compareTimestamps(a as Timestamp, b as Timestamp);
    case CanonicalType.regex:
      return compareRegexes(a as BSONRegExp | RawValue, b as BSONRegExp | RawValue);
    case CanonicalType.dbPointer:
      return compareDbPointers(a as RawValue, b as RawValue);
    case CanonicalType.code:
      return compareStrings(codeOf(a), codeOf(b));
    case CanonicalType.codeWithScope:
      return compareCodeWithScope(a as Code | RawValue, b as Code | RawValue);
    default:
      // MinKey, MaxKey, Undefined and Null each hold a single value.
      return 0;
  }
}

export function valuesEqual(a: BsonValue, b: BsonValue): boolean {
  return compareValues(a, b) === 0;
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/**
 * Byte-wise UTF-8 order without encoding. UTF-16 code-unit order equals code-point order (and so
 * UTF-8 byte order) except that surrogates (D800-DFFF) must rank above E000-FFFF.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return sign(a.length - b.length);
}

function stringOf(value: BsonValue): string {
  if (typeof value === 'string') return value;
  if (value instanceof BSONSymbol) return value.value;
  if (value instanceof RawValue) return value.bytes.toString('utf8', 4, value.bytes.length - 1);
  throw new Error('not a string');
}

function codeOf(value: BsonValue): string {
  if (value instanceof Code) return value.code;
  return stringOf(value);
}

function docOf(value: BsonValue): BsonDoc {
  return value instanceof RawDocument ? decodeDocument(value.bytes) : (value as BsonDoc);
}

/** Element by element: canonical type, then field name, then value; a prefix sorts first. */
export function compareDocuments(a: BsonDoc, b: BsonDoc, compareString: StringOrder = compareStrings): number {
  const left = a.entries();
  const right = b.entries();
  for (;;) {
    const l = left.next();
    const r = right.next();
    if (l.done) return r.done ? 0 : -1;
    if (r.done) return 1;
    const [lName, lValue] = l.value;
    const [rName, rValue] = r.value;
    const ta = canonicalTypeOrder(lValue);
    const tb = canonicalTypeOrder(rValue);
    if (ta !== tb) return ta < tb ? -1 : 1;
    const byName = compareStrings(lName, rName);
    if (byName !== 0) return byName;
    const byValue = compareValues(lValue, rValue, compareString);
    if (byValue !== 0) return byValue;
  }
}

function compareArrays(a: BsonValue[], b: BsonValue[], compareString: StringOrder): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const c = compareValues(a[i], b[i], compareString);
    if (c !== 0) return c;
  }
  return sign(a.length - b.length);
}

/** mongod compares the data length, then the subtype byte and data as one memcmp. */
function compareBinaries(a: Binary | RawValue, b: Binary | RawValue): number {
  const x = binaryParts(a);
  const y = binaryParts(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  if (x.subtype !== y.subtype) return x.subtype < y.subtype ? -1 : 1;
  return sign(Buffer.compare(x.data, y.data));
}

function binaryParts(value: Binary | RawValue): { length: number; subtype: number; data: Uint8Array } {
  if (value instanceof RawValue) {
    return { length: value.bytes.readInt32LE(0), subtype: value.bytes[4], data: value.bytes.subarray(5) };
  }
  return { length: value.position, subtype: value.sub_type, data: value.buffer.subarray(0, value.position) };
}

function compareDates(a: Date | RawValue, b: Date | RawValue): number {
  if (a instanceof Date && b instanceof Date) return sign(a.getTime() - b.getTime());
  const x = dateMillis(a);
  const y = dateMillis(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function dateMillis(value: Date | RawValue): bigint {
  return value instanceof RawValue ? value.bytes.readBigInt64LE(0) : BigInt(value.getTime());
}

function compareTimestamps(a: Timestamp, b: Timestamp): number {
  if (a.t !== b.t) return a.t < b.t ? -1 : 1;
  return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
}

function regexParts(value: BSONRegExp | RawValue): [string, string] {
  if (value instanceof BSONRegExp) return [value.pattern, value.options];
  const patternEnd = value.bytes.indexOf(0);
  return [
    value.bytes.toString('utf8', 0, patternEnd),
    value.bytes.toString('utf8', patternEnd + 1, value.bytes.length - 1),
  ];
}

function compareRegexes(a: BSONRegExp | RawValue, b: BSONRegExp | RawValue): number {
  const [pa, oa] = regexParts(a);
  const [pb, ob] = regexParts(b);
  return compareStrings(pa, pb) || compareStrings(oa, ob);
}

/** mongod orders DBPointers by value size, then bytes: namespace length, namespace, ObjectId. */
function compareDbPointers(a: RawValue, b: RawValue): number {
  if (a.bytes.length !== b.bytes.length) return a.bytes.length < b.bytes.length ? -1 : 1;
  return sign(Buffer.compare(a.bytes, b.bytes));
}

function codeWithScopeParts(value: Code | RawValue): [string, BsonDoc] {
  if (value instanceof Code) {
    return [value.code, decodeDocument(encodeDocument((value.scope ?? {}) as EncodableValue))];
  }
  const codeLength = value.bytes.readInt32LE(4);
  const code = value.bytes.toString('utf8', 8, 8 + codeLength - 1);
  return [code, decodeDocument(value.bytes, 8 + codeLength)];
}

function compareCodeWithScope(a: Code | RawValue, b: Code | RawValue): number {
  const [ca, sa] = codeWithScopeParts(a);
  const [cb, sb] = codeWithScopeParts(b);
  return compareStrings(ca, cb) || compareDocuments(sa, sb);
}

/** The sign of a sort-spec value: 1 / -1 (any numeric type); anything else such as {$meta} is 0. */
export function sortDirection(value: BsonValue): 1 | -1 | 0 {
  if (!isBsonNumber(value)) return 0;
  return compareValues(value, new Int32(0)) < 0 ? -1 : 1;
}

/**
 * Comparator for a find/aggregate sort spec such as {a: 1, 'b.c': -1}. An array field sorts by its
 * smallest element ascending and its largest descending; a missing field sorts as null and an empty
 * array before null. Fields with a non-numeric direction ({$meta: ...}) do not take part. Strings
 * compare by `compareString` (a collation's order) when given.
 */
export function compareDocumentsBySortSpec(
  spec: BsonDoc,
  compareString: StringOrder = compareStrings,
): (a: BsonDoc, b: BsonDoc) => number {
  const active: { path: string; direction: 1 | -1 }[] = [];
  for (const [path, value] of spec) {
    const direction = sortDirection(value);
    if (direction !== 0) active.push({ path, direction });
  }
  // A sort calls the comparator O(n log n) times: derive each document's key once.
  const cache = new WeakMap<BsonDoc, BsonValue[]>();
  const sortKey = (doc: BsonDoc): BsonValue[] => {
    let key = cache.get(doc);
    if (!key) {
      key = active.map(({ path, direction }) => pickKey(getKeyValues(doc, path), direction, compareString));
      cache.set(doc, key);
    }
    return key;
  };
  return (a, b) => {
    const ka = sortKey(a);
    const kb = sortKey(b);
    for (let i = 0; i < active.length; i++) {
      const c = compareValues(ka[i], kb[i], compareString);
      if (c !== 0) return c * active[i].direction;
    }
    return 0;
  };
}

function pickKey(values: BsonValue[], direction: 1 | -1, compareString: StringOrder): BsonValue {
  let best = values[0];
  for (let i = 1; i < values.length; i++) {
    if (compareValues(values[i], best, compareString) * direction < 0) best = values[i];
  }
  return best;
}
