// Converts between the typed view and the plain JS values the mingo library evaluates queries,
// projections and pipelines over. mingo compares JS numbers, strings, Dates and RegExps natively and
// other class instances of one class by toString(), so numbers are unwrapped (mingo orders bigint
// apart from numbers, hence Long becomes a number too) while ObjectId, Binary, Timestamp, Code,
// MinKey and MaxKey stay objects. The way back restores the original value wherever mingo's output
// equals it, so fields a stage did not touch keep their exact BSON types. Each object and array of a
// match view is registered with the typed value it was made from (its origin), so the BSON type of
// any field (Long or Double, Decimal128, Symbol) stays recoverable while mingo evaluates; stages that
// copy documents pass the origin on to the copy (query/typed-stages.ts).
import { decodeDocument } from './decode.js';
import { isLong } from './numeric.js';
import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  BsonType,
  Decimal128,
  Double,
  Int32,
  Long,
  RawDocument,
  RawValue,
  Timestamp,
  type BsonDoc,
  type BsonValue,
} from './values.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** BSON regex options that mean the same in JS; x (extended) and l (locale) have no JS flag. */
const JS_REGEX_FLAGS = /^[imsu]*$/;

type Origin = BsonDoc | BsonValue[];

/** Kept apart from the views themselves, which must stay plain objects and arrays to mingo and to tests. */
const origins = new WeakMap<object, Origin>();

function withOrigin<T extends object>(view: T, origin: Origin): T {
  origins.set(view, origin);
  return view;
}

/**
 * The typed document or array a match-view object or array was made from (or copied from). Fields
 * mingo changed since may differ from it: compare before trusting one.
 */
export function originOf(view: unknown): Origin | undefined {
  return typeof view === 'object' && view !== null ? origins.get(view) : undefined;
}

/** Whether `value` is a document of a match view: a plain object, not a BSON value such as an ObjectId. */
export function isViewObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Gives `copy`, a document a stage made from the view `source`, the origin of `source` unless it has its own. */
export function inheritOrigin(copy: unknown, source: unknown): void {
  const origin = originOf(source);
  if (origin && typeof copy === 'object' && copy !== null && !origins.has(copy)) origins.set(copy, origin);
}

export function toMatchValue(value: BsonValue): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Map) return toMatchDocument(value);
  if (Array.isArray(value)) return withOrigin(value.map(toMatchValue), value);
  if (value instanceof RawDocument) return toMatchDocument(decodedFrom(value));
  if (value instanceof Double || value instanceof Int32) return value.value;
  if (isLong(value)) return Number(value.toBigInt());
  if (value instanceof Decimal128) return Number(value.toString());
  if (value instanceof BSONSymbol) return value.value;
  if (value instanceof BSONRegExp) return toRegExp(value) ?? value;
  // A double NaN with a payload is still NaN; other raw values stay opaque objects.
  if (value instanceof RawValue && value.type === BsonType.double) return NaN;
  if (value instanceof Timestamp) return orderedTimestamp(value);
  if (value instanceof Binary) return new OrderedBinary(value);
  return value;
}

// mingo orders two objects of one class by their toString(). Binary's is base64 and Timestamp's a
// decimal number, neither of which sorts like BSON, so range queries on them ($gt, $lt: the clone's
// `_id` segments over UUIDs, say) would miss documents. These subclasses give a string that does.

/** A Binary whose toString() orders as BSON does: length, then subtype, then bytes. */
export class OrderedBinary extends Binary {
  constructor(binary: Binary) {
    super(binary.buffer.subarray(0, binary.position), binary.sub_type);
  }

  override toString(encoding?: 'hex' | 'base64' | 'utf8' | 'utf-8'): string {
    if (encoding) return super.toString(encoding);
    const length = this.position.toString(16).padStart(8, '0');
    const subtype = this.sub_type.toString(16).padStart(2, '0');
    return `${length}${subtype}${super.toString('hex')}`;
  }
}

/** A copy of a Timestamp whose toString() orders as BSON does: seconds, then increment, unsigned. */
function orderedTimestamp(timestamp: Timestamp): Timestamp {
  const copy = new Timestamp({ t: timestamp.t, i: timestamp.i });
  const key = `${timestamp.t.toString(16).padStart(8, '0')}${timestamp.i.toString(16).padStart(8, '0')}`;
  // Timestamp declares toString as a property, so it is replaced on the instance, not overridden.
  const toString = (radix?: number): string =>
    radix === undefined ? key : Timestamp.prototype.toString.call(copy, radix);
  Object.defineProperty(copy, 'toString', { value: toString, enumerable: false });
  return copy;
}

export function toMatchDocument(doc: BsonDoc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of doc) setField(out, name, toMatchValue(value));
  return withOrigin(out, doc);
}

/** Assigning "__proto__" would set the prototype instead of creating the field. */
function setField(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[name] = value;
  }
}

function toRegExp(value: BSONRegExp): RegExp | undefined {
  if (!JS_REGEX_FLAGS.test(value.options)) return undefined;
  try {
    return new RegExp(value.pattern, value.options);
  } catch {
    // PCRE syntax JS does not accept: leave it to whoever evaluates BSONRegExp.
    return undefined;
  }
}

/**
 * The typed value for a value computed by mingo. With `original`, parts equal to the original (as
 * toMatchValue sees it) come back as the original values, documents and arrays recursively; a
 * document or array with an origin is compared with its origin instead.
 */
export function fromMatchValue(value: unknown, original?: BsonValue): BsonValue {
  if (original !== undefined) {
    const kept = keepOriginal(value, original);
    if (kept !== undefined) return kept;
  }
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0)
        ? new Int32(value)
        : new Double(value);
    case 'bigint':
      return Long.fromBigInt(BigInt.asIntN(64, value));
    case 'object':
      break;
    default:
      throw new TypeError(`cannot represent ${typeof value} as BSON`);
  }
  if (Array.isArray(value)) {
    const origin = originOf(value);
    return fromMatchArray(value, Array.isArray(origin) ? origin : Array.isArray(original) ? original : undefined);
  }
  if (value instanceof Date) return value;
  if (value instanceof RegExp) return new BSONRegExp(value.source, regexOptions(value.flags));
  if (value instanceof Map) return keepRaw(fromMatchMap(value as Map<string, unknown>, originalDoc(original)));
  if (value instanceof RawValue || value instanceof RawDocument) return value;
  if (ArrayBuffer.isView(value)) return new Binary(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  if ('_bsontype' in value) return value as BsonValue;
  if (isViewObject(value)) {
    const origin = originOf(value);
    return keepRaw(fromMatchObject(value, origin instanceof Map ? origin : originalDoc(original)));
  }
  throw new TypeError(`cannot represent ${String(value)} as BSON`);
}

const decodedRaw = new WeakMap<BsonDoc, RawDocument>();

/** A RawDocument's typed document, remembered so that it can turn back into the RawDocument. */
function decodedFrom(raw: RawDocument): BsonDoc {
  const decoded = decodeDocument(raw.bytes);
  decodedRaw.set(decoded, raw);
  return decoded;
}

function originalDoc(original: BsonValue | undefined): BsonDoc | undefined {
  if (original instanceof Map) return original;
  return original instanceof RawDocument ? decodedFrom(original) : undefined;
}

/** An unchanged document that was a RawDocument stays one (and keeps its bytes). */
function keepRaw(doc: BsonDoc): BsonValue {
  return decodedRaw.get(doc) ?? doc;
}

/** The original when `value` is a leaf equal to it; documents and arrays are handled structurally. */
function keepOriginal(value: unknown, original: BsonValue): BsonValue | undefined {
  // Documents and arrays are never equal to a leaf (and converting them to find out would be costly).
  if (Array.isArray(value) || original instanceof Map || original instanceof RawDocument) return undefined;
  if (Array.isArray(original)) return undefined;
  if (value === null || typeof value !== 'object') {
    return Object.is(value, toMatchValue(original)) ? original : undefined;
  }
  const seen = toMatchValue(original);
  if (value === seen || value === original) return original;
  if (value instanceof Date) return seen instanceof Date && seen.getTime() === value.getTime() ? original : undefined;
  if (value instanceof RegExp) {
    return seen instanceof RegExp && seen.source === value.source && seen.flags === value.flags ? original : undefined;
  }
  // Binary and Timestamp are converted to fresh, order-preserving copies: equal keys mean unchanged.
  if (
    (value instanceof Binary && seen instanceof Binary) ||
    (value instanceof Timestamp && seen instanceof Timestamp)
  ) {
    return value.toString() === seen.toString() ? original : undefined;
  }
  return undefined;
}

function fromMatchArray(values: unknown[], original: BsonValue[] | undefined): BsonValue[] {
  const out = values.map((item, i) => fromMatchValue(item, original?.[i]));
  // Hand back the original array itself when nothing changed, like any other untouched value.
  if (original && original.length === out.length && out.every((item, i) => item === original[i])) return original;
  return out;
}

function fromMatchObject(value: Record<string, unknown>, original: BsonDoc | undefined): BsonDoc {
  const out: BsonDoc = new Map();
  for (const name of fieldOrder(Object.keys(value), original)) {
    const item = value[name];
    if (item === undefined) continue;
    out.set(name, fromMatchValue(item, original?.get(name)));
  }
  return sameDocument(out, original) ? (original as BsonDoc) : out;
}

function fromMatchMap(value: Map<string, unknown>, original: BsonDoc | undefined): BsonDoc {
  const out: BsonDoc = new Map();
  for (const [name, item] of value) if (item !== undefined) out.set(name, fromMatchValue(item, original?.get(name)));
  return sameDocument(out, original) ? (original as BsonDoc) : out;
}

function sameDocument(doc: BsonDoc, original: BsonDoc | undefined): boolean {
  if (!original || original.size !== doc.size) return false;
  const names = [...original.keys()];
  let i = 0;
  for (const [name, value] of doc) {
    if (names[i++] !== name || original.get(name) !== value) return false;
  }
  return true;
}

const INTEGER_KEY = /^(0|[1-9][0-9]*)$/;

function isIntegerKey(name: string): boolean {
  return INTEGER_KEY.test(name) && Number(name) < 4294967295;
}

/**
 * JS objects list integer-like keys first, whatever order they were set in. Other keys keep their
 * insertion order, so put each integer-like key the original had back after the field that preceded
 * it there.
 */
function fieldOrder(keys: string[], original: BsonDoc | undefined): string[] {
  if (!original || !keys.some(isIntegerKey)) return keys;
  const present = new Set(keys);
  const placed = keys.filter((name) => !isIntegerKey(name) || !original.has(name));
  let previous: string | undefined;
  for (const name of original.keys()) {
    if (!present.has(name)) continue;
    if (isIntegerKey(name)) placed.splice(previous === undefined ? 0 : placed.indexOf(previous) + 1, 0, name);
    previous = name;
  }
  return placed;
}

function regexOptions(flags: string): string {
  return [...flags]
    .filter((flag) => 'imsu'.includes(flag))
    .sort()
    .join('');
}
