// The catalog keeps every option, validator, pipeline and index spec as an OrderedDocument (a Map,
// see bson/ordered.ts), so field order and exact BSON types reach the target unchanged. Values may
// also arrive as plain objects (an event decoded by the driver, a catalog state read back from a
// checkpoint); toOrdered() brings them to the one representation at the boundary.
import { BSON, Decimal128, Double, Int32, Long, type Document } from 'mongodb';
import type { OrderedDocument } from '../bson/ordered.js';

/** A Map stays as it is; a plain object becomes a Map in its key order; BSON values are kept. */
export function toOrdered(value: unknown): OrderedDocument {
  if (value instanceof Map) return value as OrderedDocument;
  const doc: OrderedDocument = new Map();
  if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) doc.set(key, orderedValue(item));
  return doc;
}

function orderedValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(orderedValue);
  if (isPlainObject(value)) return toOrdered(value);
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The sub-document at `name`, if it is one. */
export function subDocument(doc: OrderedDocument, name: string): OrderedDocument | undefined {
  const value = doc.get(name);
  return value instanceof Map || isPlainObject(value) ? toOrdered(value) : undefined;
}

export function stringOf(doc: OrderedDocument, name: string): string | undefined {
  const value = doc.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** Whether two values encode to the same BSON bytes: same types, same field order. */
export function sameBson(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(BSON.serialize({ v: a })).equals(Buffer.from(BSON.serialize({ v: b })));
}

/** A copy of `doc` without the named fields, in the same order. */
export function without(doc: OrderedDocument, ...names: string[]): OrderedDocument {
  const excluded = new Set(names);
  return new Map([...doc].filter(([key]) => !excluded.has(key)));
}

/** A command for db.command(): the driver copies the top level as an object, so it cannot be a Map. */
export function command(name: string, value: unknown, fields: OrderedDocument = new Map()): Document {
  return Object.fromEntries([[name, value], ...fields]);
}

/** A JSON-safe view for reports (relaxed Extended JSON: numbers as numbers). */
export function jsonOf(doc: OrderedDocument): Record<string, unknown> {
  return BSON.EJSON.serialize(plain(doc), { relaxed: true });
}

/** A plain object view for reports and logs (integer-like keys may move; never written anywhere). */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [key, plain(item)]));
  return value;
}

/** A BSON number as a JS number (NaN for anything else). */
export function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Int32 || value instanceof Double) return value.valueOf();
  if (value instanceof Decimal128) return Number(value.toString());
  return NaN;
}
