// Typed reads of change event fields; a field of the wrong shape is a malformed event, not a crash.
import type { OrderedDocument } from '../bson/ordered.js';
import { FerryError } from '../errors.js';

export function documentField(doc: OrderedDocument, name: string): OrderedDocument {
  const value = doc.get(name);
  if (!(value instanceof Map)) throw malformedEvent(`${name} is missing or not a document`);
  return value as OrderedDocument;
}

export function stringField(doc: OrderedDocument, name: string): string {
  const value = doc.get(name);
  if (typeof value !== 'string') throw malformedEvent(`${name} is missing or not a string`);
  return value;
}

export function arrayField(doc: OrderedDocument, name: string): unknown[] {
  const value = doc.get(name);
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw malformedEvent(`${name} is not an array`);
  return value;
}

export function malformedEvent(detail: string): FerryError {
  return new FerryError({ code: 'MALFORMED_EVENT', message: `unexpected change event: ${detail}` });
}
