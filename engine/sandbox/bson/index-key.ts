// Index keys as strings, for unique-index enforcement: two values get the same string exactly when
// compareValues says they are equal (Int32 1, Long 1 and Double 1.0 collide; "a" and Symbol("a")
// collide; -0 and 0 collide). An index with a collation passes the collation's key form of strings,
// so strings the collation finds equal collide too.
import { canonicalTypeOrder, CanonicalType } from './compare.js';
import { decodeDocument } from './decode.js';
import { encodeDocument } from './encode.js';
import { toExact, type BsonNumber } from './numeric.js';
import { getKeyValues, getPathValues } from './path.js';
import {
  BSONRegExp,
  BSONSymbol,
  Code,
  RawDocument,
  RawValue,
  type Binary,
  type ObjectId,
  type Timestamp,
  type BsonDoc,
  type BsonValue,
  type EncodableValue,
} from './values.js';

/** The form a string takes in a key: itself (simple collation) or a collation's key form. */
export type StringKey = (value: string) => string;

export interface IndexKeyOptions {
  sparse?: boolean;
  /** The index's collation's key form of strings. */
  stringKey?: StringKey;
}

/**
 * One string per index entry of `doc`: arrays expand to an entry per element, compound patterns take
 * every combination. Null when a sparse index skips the document (it has none of the fields).
 */
export function indexKeys(doc: BsonDoc, keyPattern: BsonDoc, options: IndexKeyOptions = {}): string[] | null {
  if (options.sparse && ![...keyPattern.keys()].some((path) => getPathValues(doc, path).length > 0)) return null;
  const { stringKey } = options;
  return [...new Set(keyTuples(doc, keyPattern, stringKey).map((tuple) => tupleKey(tuple, stringKey)))];
}

function tupleKey(tuple: BsonValue[], stringKey: StringKey | undefined): string {
  return tuple.map((value) => collatedKeyString(value, stringKey)).join('|');
}

/** The `keyValue` of a DuplicateKey error: the document's key values under the pattern's field names. */
export function keyValueDocument(doc: BsonDoc, keyPattern: BsonDoc, key?: string, stringKey?: StringKey): BsonDoc {
  const tuples = keyTuples(doc, keyPattern, stringKey);
  const tuple = (key === undefined ? undefined : tuples.find((t) => tupleKey(t, stringKey) === key)) ?? tuples[0];
  return new Map([...keyPattern.keys()].map((path, i) => [path, tuple[i]]));
}

function keyTuples(doc: BsonDoc, keyPattern: BsonDoc, stringKey: StringKey | undefined): BsonValue[][] {
  let tuples: BsonValue[][] = [[]];
  for (const path of keyPattern.keys()) {
    const values = dedupe(getKeyValues(doc, path), stringKey);
    tuples = tuples.flatMap((tuple) => values.map((value) => [...tuple, value]));
  }
  return tuples;
}

function dedupe(values: BsonValue[], stringKey: StringKey | undefined): BsonValue[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = collatedKeyString(value, stringKey);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A string that identifies `value` up to compareValues equality. */
export function keyString(value: BsonValue): string {
  return collatedKeyString(value, undefined);
}

/** keyString under the collation `stringKey` stands for (none: simple). */
function collatedKeyString(value: BsonValue, stringKey: StringKey | undefined): string {
  const type = canonicalTypeOrder(value);
  return `${type}:${body(value, type, stringKey)}`;
}

function body(value: BsonValue, type: number, stringKey: StringKey | undefined): string {
  switch (type) {
    case CanonicalType.number:
      return numberKey(value as BsonNumber | RawValue);
    case CanonicalType.string: {
      const text = value instanceof BSONSymbol ? value.value : rawString(value);
      return JSON.stringify(stringKey ? stringKey(text) : text);
    }
    case CanonicalType.object:
      return documentKey(value instanceof RawDocument ? decodeDocument(value.bytes) : (value as BsonDoc), stringKey);
    case CanonicalType.array:
      return `[${(value as BsonValue[]).map((item) => collatedKeyString(item, stringKey)).join(',')}]`;
    case CanonicalType.binData:
      return binaryKey(value as Binary | RawValue);
    case CanonicalType.objectId:
      return (value as ObjectId).toHexString();
    case CanonicalType.bool:
      return value ? 't' : 'f';
    case CanonicalType.date:
      return value instanceof RawValue ? value.bytes.readBigInt64LE(0).toString() : String((value as Date).getTime());
    case CanonicalType.timestamp:
      return `${(value as Timestamp).t}.${(value as Timestamp).i}`;
    case CanonicalType.regex:
      return regexKey(value as BSONRegExp | RawValue);
    case CanonicalType.dbPointer:
      return (value as RawValue).bytes.toString('hex');
    case CanonicalType.code:
      return JSON.stringify(value instanceof Code ? value.code : rawString(value));
    case CanonicalType.codeWithScope:
      return codeWithScopeKey(value as Code | RawValue);
    default:
      return '';
  }
}

function numberKey(value: BsonNumber | RawValue): string {
  const exact = toExact(value);
  if (exact.kind === 'nan') return 'NaN';
  if (exact.kind === 'infinity') return exact.negative ? '-Infinity' : 'Infinity';
  return exact.coefficient === 0n ? '0' : `${exact.coefficient}e${exact.exponent}`;
}

function rawString(value: BsonValue): string {
  if (typeof value === 'string') return value;
  if (value instanceof RawValue) return value.bytes.toString('utf8', 4, value.bytes.length - 1);
  throw new Error('not a string');
}

function documentKey(doc: BsonDoc, stringKey?: StringKey): string {
  return `{${[...doc].map(([name, value]) => `${JSON.stringify(name)}:${collatedKeyString(value, stringKey)}`).join(',')}}`;
}

function binaryKey(value: Binary | RawValue): string {
  if (value instanceof RawValue) return `${value.bytes.readInt32LE(0)}.${value.bytes.subarray(4).toString('hex')}`;
  const data = Buffer.from(value.buffer.subarray(0, value.position));
  const subtype = value.sub_type.toString(16).padStart(2, '0');
  return `${value.position}.${subtype}${data.toString('hex')}`;
}

function regexKey(value: BSONRegExp | RawValue): string {
  if (value instanceof BSONRegExp) return `${JSON.stringify(value.pattern)}/${JSON.stringify(value.options)}`;
  const end = value.bytes.indexOf(0);
  const pattern = value.bytes.toString('utf8', 0, end);
  const options = value.bytes.toString('utf8', end + 1, value.bytes.length - 1);
  return `${JSON.stringify(pattern)}/${JSON.stringify(options)}`;
}

function codeWithScopeKey(value: Code | RawValue): string {
  if (value instanceof Code) {
    const scope = decodeDocument(encodeDocument((value.scope ?? {}) as EncodableValue));
    return `${JSON.stringify(value.code)}${documentKey(scope)}`;
  }
  const codeLength = value.bytes.readInt32LE(4);
  const code = value.bytes.toString('utf8', 8, 8 + codeLength - 1);
  return `${JSON.stringify(code)}${documentKey(decodeDocument(value.bytes, 8 + codeLength))}`;
}
