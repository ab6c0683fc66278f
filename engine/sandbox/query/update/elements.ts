// The update engine edits a private deep copy of the document in place, as mongod edits its mutable
// BSON document. An ElementRef names one element of that copy (a field of a document, an item of an
// array, or the root) so operators can read, replace or remove it.
import { encodeDocument } from '../../bson/encode.js';
import { formatValue } from '../../bson/format.js';
import { asDoc } from '../../bson/path.js';
import { RawDocument, type BsonDoc, type BsonValue } from '../../bson/values.js';

const ARRAY_INDEX = /^[0-9]+$/;

/** A deep copy of a value: documents and arrays are copied (RawDocuments decoded), leaves shared. */
export function cloneValue(value: BsonValue): BsonValue {
  if (value instanceof Map) return cloneDoc(value);
  if (value instanceof RawDocument) return cloneDoc(asDoc(value) ?? new Map());
  if (Array.isArray(value)) return value.map(cloneValue);
  return value;
}

export function cloneDoc(doc: BsonDoc): BsonDoc {
  const copy: BsonDoc = new Map();
  for (const [name, value] of doc) copy.set(name, cloneValue(value));
  return copy;
}

/** Same type and same bytes (mongod's binaryEqualValues): 1 and 1.0 differ, as do 0.0 and -0.0. */
export function identicalValues(a: BsonValue, b: BsonValue): boolean {
  return encodeDocument(new Map([['', a]])).equals(encodeDocument(new Map([['', b]])));
}

/** The size of a value's BSON encoding without its type byte and field name (BSONElement::valuesize). */
export function valueSize(value: BsonValue): number {
  // A one-field document with an empty name: 4 (length) + 1 (type) + 1 (name terminator) + 1 (end).
  return encodeDocument(new Map([['', value]])).length - 7;
}

/** An array index as mongod parses one in a path: digits only. */
export function arrayIndexOf(component: string): number | undefined {
  return ARRAY_INDEX.test(component) ? Number(component) : undefined;
}

/** `name: value` as mongod's BSONElement::toString() shows an element in error messages. */
export function elementString(name: string, value: BsonValue): string {
  return `${name}: ${formatValue(value)}`;
}

/** The `_id: <value>` (or `no id`) mongod puts in update error messages. */
export function idString(root: BsonDoc): string {
  const id = root.get('_id');
  return id === undefined ? 'no id' : elementString('_id', id);
}

/** One element of the document being updated. */
export class ElementRef {
  private constructor(
    private readonly root: BsonDoc,
    readonly parent: BsonDoc | BsonValue[] | undefined,
    /** Field name, or array index as a string; empty for the root. */
    readonly name: string,
  ) {}

  static root(doc: BsonDoc): ElementRef {
    return new ElementRef(doc, undefined, '');
  }

  get isRoot(): boolean {
    return this.parent === undefined;
  }

  get inArray(): boolean {
    return Array.isArray(this.parent);
  }

  get value(): BsonValue {
    const parent = this.parent;
    if (parent === undefined) return this.root;
    const value = Array.isArray(parent) ? parent[Number(this.name)] : parent.get(this.name);
    if (value === undefined) throw new Error(`element ${this.name} no longer exists`);
    return value;
  }

  /** Replaces the value, keeping the element's position. */
  set(value: BsonValue): void {
    const parent = this.parent;
    if (parent === undefined) throw new Error('cannot replace the root document');
    if (Array.isArray(parent)) parent[Number(this.name)] = value;
    else parent.set(this.name, value);
  }

  remove(): void {
    const parent = this.parent;
    if (parent === undefined) throw new Error('cannot remove the root document');
    if (Array.isArray(parent)) parent.splice(Number(this.name), 1);
    else parent.delete(this.name);
  }

  /** The child named `field` (a field of a document or an index of an array), if it exists. */
  child(field: string): ElementRef | undefined {
    const value = this.value;
    if (value instanceof Map) return value.has(field) ? new ElementRef(this.root, value, field) : undefined;
    if (Array.isArray(value)) {
      const index = arrayIndexOf(field);
      return index !== undefined && index < value.length ? new ElementRef(this.root, value, String(index)) : undefined;
    }
    return undefined;
  }

  /** Every item of an array element, in order. */
  items(): ElementRef[] {
    const value = this.value;
    return Array.isArray(value) ? value.map((_, index) => new ElementRef(this.root, value, String(index))) : [];
  }

  toString(): string {
    return elementString(this.name, this.value);
  }
}
