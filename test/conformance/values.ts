// BSON value helpers shared by the matcher and the operation layer: type names as used by
// `$type`/`$$type`, flexible numeric comparison, and conversion of typed numbers to plain JS
// numbers for driver options. Classification uses `_bsontype` tags, which are stable across
// bson copies, so a stray value from another bson package still classifies correctly.
import type { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp } from 'mongodb';
import { BSON, Code, DBRef } from 'mongodb';
import type { Doc } from './types.js';

/** Type names of the `$type` query operator (plus the "number" alias handled by callers). */
export type BsonTypeName =
  | 'double'
  | 'string'
  | 'object'
  | 'array'
  | 'binData'
  | 'undefined'
  | 'objectId'
  | 'bool'
  | 'date'
  | 'null'
  | 'regex'
  | 'dbPointer'
  | 'javascript'
  | 'symbol'
  | 'javascriptWithScope'
  | 'int'
  | 'timestamp'
  | 'long'
  | 'decimal'
  | 'minKey'
  | 'maxKey';

export const BSON_TYPE_NAMES: readonly string[] = [
  'double',
  'string',
  'object',
  'array',
  'binData',
  'undefined',
  'objectId',
  'bool',
  'date',
  'null',
  'regex',
  'dbPointer',
  'javascript',
  'symbol',
  'javascriptWithScope',
  'int',
  'timestamp',
  'long',
  'decimal',
  'minKey',
  'maxKey',
];

export function bsonTag(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const tag: unknown = (value as { _bsontype?: unknown })._bsontype;
  return typeof tag === 'string' ? tag : undefined;
}

/** A plain document: what BSON deserialisation and EJSON.parse produce for embedded documents. */
export function isDocument(value: unknown): value is Doc {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && bsonTag(value) === undefined;
}

/**
 * The BSON type of a value. Plain JS numbers are ambiguous (the driver promoted them from
 * int, long or double), so they report 'double' unless integral, then 'int' or 'long' by range;
 * `typeMatches` treats them leniently.
 */
export function bsonTypeOf(value: unknown): BsonTypeName | undefined {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'double';
    return Math.abs(value) <= 0x7fffffff ? 'int' : 'long';
  }
  if (typeof value === 'bigint') return 'long';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  if (value instanceof Uint8Array) return 'binData';
  switch (bsonTag(value)) {
    case 'Double':
      return 'double';
    case 'Int32':
      return 'int';
    case 'Long':
      return 'long';
    case 'Decimal128':
      return 'decimal';
    case 'Timestamp':
      return 'timestamp';
    case 'ObjectId':
      return 'objectId';
    case 'Binary':
      return 'binData';
    case 'BSONRegExp':
      return 'regex';
    case 'BSONSymbol':
      return 'symbol';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'DBRef':
      return 'dbPointer';
    case 'Code':
      return (value as Code).scope ? 'javascriptWithScope' : 'javascript';
    case undefined:
      return isDocument(value) ? 'object' : undefined;
    default:
      return undefined;
  }
}

/** Whether `value` has the `$type` name `typeName` ("number" matches any numeric type). */
export function typeMatches(value: unknown, typeName: string): boolean {
  if (value === undefined) return false;
  if (typeName === 'number') return isNumeric(value) || bsonTypeOf(value) === 'decimal';
  if (typeof value === 'number') {
    // A promoted JS number could have been any of these on the wire.
    if (typeName === 'double') return true;
    return Number.isInteger(value) && (typeName === 'int' || typeName === 'long');
  }
  return bsonTypeOf(value) === typeName;
}

/** int32, int64 and double in any representation; Decimal128 is deliberately excluded (spec). */
export function isNumeric(value: unknown): boolean {
  if (typeof value === 'number' || typeof value === 'bigint') return true;
  const tag = bsonTag(value);
  return tag === 'Int32' || tag === 'Double' || tag === 'Long';
}

type NumericValue = { big: bigint } | { float: number };

function numericValue(value: unknown): NumericValue | undefined {
  let n: number;
  if (typeof value === 'bigint') return { big: value };
  if (typeof value === 'number') n = value;
  else {
    const tag = bsonTag(value);
    if (tag === 'Long') return { big: (value as Long).toBigInt() };
    if (tag === 'Int32') n = (value as Int32).value;
    else if (tag === 'Double') n = (value as Double).value;
    else return undefined;
  }
  // Integral values compare as bigint so that large longs are not rounded through a double.
  return Number.isInteger(n) ? { big: BigInt(n) } : { float: n };
}

/** Flexible numeric equality (spec "Flexible Numeric Comparisons"); undefined if not both numeric. */
export function numericCompare(a: unknown, b: unknown): number | undefined {
  const x = numericValue(a);
  const y = numericValue(b);
  if (!x || !y) return undefined;
  if ('big' in x && 'big' in y) return x.big === y.big ? 0 : x.big < y.big ? -1 : 1;
  const fx = 'big' in x ? Number(x.big) : x.float;
  const fy = 'big' in y ? Number(y.big) : y.float;
  if (Number.isNaN(fx) && Number.isNaN(fy)) return 0;
  if (Number.isNaN(fx) || Number.isNaN(fy)) return Number.NaN;
  return fx === fy ? 0 : fx < fy ? -1 : 1;
}

export function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (bsonTag(value) === 'Binary') {
    const bin = value as Binary;
    return bin.buffer.subarray(0, bin.position);
  }
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Equality of two non-container values (numbers are compared by the caller). Values of
 * different BSON types are never equal here.
 */
export function scalarEquals(expected: unknown, actual: unknown): boolean {
  const type = bsonTypeOf(expected);
  if (type !== bsonTypeOf(actual)) return false;
  switch (type) {
    case 'null':
    case 'undefined':
    case 'minKey':
    case 'maxKey':
      return true;
    case 'string':
    case 'bool':
      return expected === actual;
    case 'date':
      return (expected as Date).getTime() === (actual as Date).getTime();
    case 'objectId':
      return (expected as ObjectId).toHexString() === (actual as ObjectId).toHexString();
    case 'decimal':
      return (expected as Decimal128).toString() === (actual as Decimal128).toString();
    case 'timestamp': {
      const e = expected as Timestamp;
      const a = actual as Timestamp;
      return e.t === a.t && e.i === a.i;
    }
    case 'binData': {
      const eb = bytesOf(expected);
      const ab = bytesOf(actual);
      const subtype = (v: unknown): number => (bsonTag(v) === 'Binary' ? (v as Binary).sub_type : 0);
      return eb !== undefined && ab !== undefined && subtype(expected) === subtype(actual) && sameBytes(eb, ab);
    }
    case 'regex': {
      const norm = (v: unknown): string => {
        if (v instanceof RegExp) return `${v.source}/${[...v.flags].sort().join('')}`;
        const r = v as { pattern: string; options: string };
        return `${r.pattern}/${[...r.options].sort().join('')}`;
      };
      return norm(expected) === norm(actual);
    }
    case 'symbol':
      return String((expected as { value: unknown }).value) === String((actual as { value: unknown }).value);
    case 'javascript':
    case 'javascriptWithScope':
    case 'dbPointer':
      // Rare in tests; their embedded documents must match exactly, which canonical EJSON
      // does after key sorting.
      return canonical(expected) === canonical(actual);
    default:
      return false;
  }
}

/** Canonical EJSON with sorted keys: a stable text form for exact comparisons and messages. */
export function canonical(value: unknown): string {
  return BSON.EJSON.stringify(sortKeys(value), { relaxed: false });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isDocument(value)) {
    const out: Doc = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
    return out;
  }
  if (bsonTag(value) === 'Code') {
    const code = value as Code;
    return code.scope ? new Code(code.code, sortKeys(code.scope) as Doc) : code;
  }
  if (bsonTag(value) === 'DBRef') {
    const ref = value as DBRef;
    return new DBRef(ref.collection, ref.oid, ref.db, sortKeys(ref.fields) as Doc);
  }
  return value;
}

/** Short human-readable rendering for failure messages, e.g. `{"x": 1}` or `1 (long)`. */
export function describe(value: unknown, max = 120): string {
  if (value === undefined) return '(absent)';
  let text: string;
  try {
    text = BSON.EJSON.stringify(value, { relaxed: true });
  } catch {
    text = String(value);
  }
  if (text.length > max) text = `${text.slice(0, max - 3)}...`;
  const type = bsonTypeOf(value);
  const typed = bsonTag(value) === 'Int32' || bsonTag(value) === 'Long' || bsonTag(value) === 'Double';
  return typed ? `${text} (${type})` : text;
}

/**
 * Deep conversion of typed numbers (Int32, Double, safe Long) to JS numbers. The driver's option
 * parsing expects JS numbers (`typeof limit === 'number'`), while test payloads keep their types.
 */
export function toNative(value: unknown): unknown {
  const tag = bsonTag(value);
  if (tag === 'Int32') return (value as Int32).value;
  if (tag === 'Double') return (value as Double).value;
  if (tag === 'Long') {
    const long = value as Long;
    const big = long.toBigInt();
    return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : long;
  }
  if (Array.isArray(value)) return value.map(toNative);
  if (isDocument(value)) {
    const out: Doc = {};
    for (const [key, v] of Object.entries(value)) out[key] = toNative(v);
    return out;
  }
  return value;
}

/** A number from a typed or plain numeric value; undefined if not numeric. */
export function asNumber(value: unknown): number | undefined {
  const native = toNative(value);
  return typeof native === 'number' ? native : undefined;
}
