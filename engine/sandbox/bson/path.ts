// Dotted-path lookup over the typed view, following the MongoDB matcher's rules: a path component
// that names a field is applied to every document element of an array met on the way, and a
// numeric component also indexes the array itself.
import { decodeDocument } from './decode.js';
import { BsonType, RawDocument, RawValue, type BsonDoc, type BsonValue } from './values.js';

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

export function splitPath(path: string): string[] {
  return path.split('.');
}

/** An embedded document as a Map (decoding a RawDocument), or undefined for anything else. */
export function asDoc(value: BsonValue | undefined): BsonDoc | undefined {
  if (value instanceof Map) return value;
  if (value instanceof RawDocument) return decodeDocument(value.bytes);
  return undefined;
}

function arrayIndex(component: string): number | undefined {
  return ARRAY_INDEX.test(component) ? Number(component) : undefined;
}

/** The value at `path` without array traversal; numeric components index arrays. */
export function getPath(doc: BsonDoc, path: string | readonly string[]): BsonValue | undefined {
  let current: BsonValue | undefined = doc;
  for (const component of typeof path === 'string' ? splitPath(path) : path) {
    if (Array.isArray(current)) {
      const index = arrayIndex(component);
      current = index === undefined ? undefined : current[index];
    } else {
      current = asDoc(current)?.get(component);
    }
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * Every value reachable at `path`, traversing arrays on the way as the matcher does. An array found
 * at the end of the path is returned as one value, not expanded: callers decide whether the array,
 * its elements or both count.
 */
export function getPathValues(doc: BsonDoc, path: string | readonly string[]): BsonValue[] {
  const out: BsonValue[] = [];
  collect(doc, typeof path === 'string' ? splitPath(path) : path, 0, out);
  return out;
}

function collect(value: BsonValue, parts: readonly string[], depth: number, out: BsonValue[]): void {
  if (depth === parts.length) {
    out.push(value);
    return;
  }
  const component = parts[depth];
  if (Array.isArray(value)) {
    const index = arrayIndex(component);
    if (index !== undefined && index < value.length) collect(value[index], parts, depth + 1, out);
    // Field names apply to the documents inside the array; nested arrays are not entered.
    for (const element of value) {
      const child = asDoc(element)?.get(component);
      if (child !== undefined) collect(child, parts, depth + 1, out);
    }
    return;
  }
  const child = asDoc(value)?.get(component);
  if (child !== undefined) collect(child, parts, depth + 1, out);
}

/**
 * The values an index or a sort key takes at `path`: arrays along the path and at its end are
 * expanded into their elements, a missing field (also inside an array element) counts as null, and
 * an empty array at the end as undefined, which MongoDB sorts before null.
 */
export function getKeyValues(doc: BsonDoc, path: string | readonly string[]): BsonValue[] {
  const out: BsonValue[] = [];
  collectKeys(doc, typeof path === 'string' ? splitPath(path) : path, 0, out);
  return out;
}

function collectKeys(value: BsonValue | undefined, parts: readonly string[], depth: number, out: BsonValue[]): void {
  if (depth === parts.length) {
    if (value === undefined) out.push(null);
    else if (!Array.isArray(value)) out.push(value);
    else if (value.length === 0) out.push(undefinedValue());
    else for (const element of value) out.push(element);
    return;
  }
  if (value === undefined) {
    out.push(null);
    return;
  }
  const component = parts[depth];
  if (Array.isArray(value)) {
    const index = arrayIndex(component);
    if (index !== undefined && index < value.length) {
      collectKeys(value[index], parts, depth + 1, out);
      return;
    }
    if (value.length === 0) {
      out.push(null);
      return;
    }
    for (const element of value) collectKeys(asDoc(element)?.get(component), parts, depth + 1, out);
    return;
  }
  collectKeys(asDoc(value)?.get(component), parts, depth + 1, out);
}

function undefinedValue(): RawValue {
  return new RawValue(BsonType.undefined, Buffer.alloc(0));
}
