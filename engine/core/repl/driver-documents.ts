// The driver serializes Maps as documents, in insertion order, wherever it takes a document: that is
// how OrderedDocuments reach the target unchanged. Its types only name plain objects, so the one
// cast lives here.
import type { Document } from 'mongodb';
import type { OrderedDocument } from '../bson/ordered.js';

export function asDocument(doc: OrderedDocument): Document {
  return doc as unknown as Document;
}

/**
 * An update as the driver's bulk API accepts it. The driver checks that the first key of an update
 * is an operator by reading the object's own keys, which a Map does not have, so the operators go in
 * a plain object (their order does not matter: translate-update.ts keeps their paths apart) while
 * each operator's fields stay an ordered Map.
 */
export function updateDocument(update: OrderedDocument): Document {
  return Object.fromEntries(update);
}
