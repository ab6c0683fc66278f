// Catalog reads (listCollections, listIndexes, aggregations) as raw BSON decoded with decodeOrdered:
// an index key of NumberLong(1), an Int32 in a validator or a pipeline stage's field order would not
// survive the driver's default decoding, and what is read here is written back to the target.
import type { Db, Document } from 'mongodb';
import { decodeOrdered, type OrderedDocument } from '../bson/ordered.js';
import { FerryError } from '../errors.js';

/** The bytes of one item of a cursor opened with `raw: true` (typed as a document by the driver). */
export function rawBytes(item: unknown): Uint8Array {
  if (!(item instanceof Uint8Array)) {
    throw new FerryError({
      code: 'UNEXPECTED',
      message: 'the driver returned a decoded document where raw BSON was asked for',
    });
  }
  return item;
}

/** Decodes one item of a cursor opened with `raw: true`. */
export function decodeRaw(item: unknown): OrderedDocument {
  return decodeOrdered(rawBytes(item));
}

export async function decodeAll(cursor: AsyncIterable<unknown>): Promise<OrderedDocument[]> {
  const documents: OrderedDocument[] = [];
  for await (const item of cursor) documents.push(decodeRaw(item));
  return documents;
}

/** listCollections entries: `{name, type, options, info, idIndex}`. */
export function listCollections(db: Db, filter: Document = {}): Promise<OrderedDocument[]> {
  return decodeAll(db.listCollections(filter, { raw: true }));
}

export function listIndexes(db: Db, collection: string): Promise<OrderedDocument[]> {
  return decodeAll(db.collection(collection).listIndexes({ raw: true }));
}

export function aggregate(db: Db, collection: string, pipeline: Document[]): Promise<OrderedDocument[]> {
  return decodeAll(db.collection(collection).aggregate(pipeline, { raw: true }));
}
