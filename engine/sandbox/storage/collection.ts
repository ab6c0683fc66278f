// One collection's documents: kept as BSON bytes in insertion (natural) order, with an ordered _id index
// that follows MongoDB's cross-type comparison order, so _id ranges and sorts behave as on mongod.
import sortedBtree from 'sorted-btree';
import { compareValues } from '../bson/compare.js';
import { Binary, type BsonDoc, type BsonValue } from '../bson/values.js';
import { IndexCatalog } from './indexes.js';
import { randomUUID } from 'node:crypto';

// sorted-btree is CommonJS: Node's ESM loader hands over the module object (class on `.default`),
// while bundling test runners hand over the class itself.
const BTree: typeof sortedBtree.default =
  (sortedBtree as unknown as { default?: typeof sortedBtree.default }).default ??
  (sortedBtree as unknown as typeof sortedBtree.default);

export interface StoredDocument {
  /** Record id: position in natural order. */
  readonly rid: number;
  readonly id: BsonValue;
  bytes: Buffer;
}

export function newUuid(): Binary {
  return new Binary(Buffer.from(randomUUID().replace(/-/g, ''), 'hex'), Binary.SUBTYPE_UUID);
}

export class Collection {
  readonly records = new Map<number, StoredDocument>();
  readonly byId = new BTree<BsonValue, StoredDocument>(undefined, compareValues);
  readonly indexes: IndexCatalog;
  private nextRid = 1;
  /** Set when a record is restored out of natural order; natural() re-sorts lazily. */
  private naturalOrderStale = false;
  dataSize = 0;

  constructor(
    public db: string,
    public name: string,
    public options: BsonDoc,
    readonly uuid: Binary = newUuid(),
  ) {
    this.indexes = new IndexCatalog(this);
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get isView(): boolean {
    return this.options.has('viewOn');
  }

  get isCapped(): boolean {
    return this.options.get('capped') === true;
  }

  get count(): number {
    return this.records.size;
  }

  findById(id: BsonValue): StoredDocument | undefined {
    return this.byId.get(id);
  }

  /** Adds a document whose uniqueness the caller has checked; returns the stored record. */
  add(id: BsonValue, bytes: Buffer, doc: BsonDoc): StoredDocument {
    const record: StoredDocument = { rid: this.nextRid++, id, bytes };
    this.indexes.add(doc, record);
    this.records.set(record.rid, record);
    this.byId.set(id, record);
    this.dataSize += bytes.length;
    return record;
  }

  replace(record: StoredDocument, bytes: Buffer, before: BsonDoc, after: BsonDoc): void {
    this.indexes.remove(before, record);
    this.indexes.add(after, record);
    this.dataSize += bytes.length - record.bytes.length;
    record.bytes = bytes;
  }

  remove(record: StoredDocument, doc: BsonDoc): void {
    this.indexes.remove(doc, record);
    this.records.delete(record.rid);
    this.byId.delete(record.id);
    this.dataSize -= record.bytes.length;
  }

  /** Puts a removed record back in its old place in natural order (an aborted transaction's delete). */
  restore(record: StoredDocument, doc: BsonDoc): void {
    this.indexes.add(doc, record);
    this.records.set(record.rid, record);
    this.byId.set(record.id, record);
    this.dataSize += record.bytes.length;
    this.naturalOrderStale = true;
  }

  /** Documents in natural (insertion) order. */
  *natural(): Generator<StoredDocument> {
    if (this.naturalOrderStale) {
      const ordered = [...this.records.values()].sort((a, b) => a.rid - b.rid);
      this.records.clear();
      for (const record of ordered) this.records.set(record.rid, record);
      this.naturalOrderStale = false;
    }
    yield* this.records.values();
  }

  /** Records whose _id lies between the bounds, in _id order. */
  *idRange(
    low?: { value: BsonValue; inclusive: boolean },
    high?: { value: BsonValue; inclusive: boolean },
  ): Generator<StoredDocument> {
    const iterator = low ? this.byId.entries(low.value) : this.byId.entries();
    for (const [id, record] of iterator) {
      if (low && !low.inclusive && compareValues(id, low.value) === 0) continue;
      if (high) {
        const order = compareValues(id, high.value);
        if (order > 0 || (order === 0 && !high.inclusive)) return;
      }
      yield record;
    }
  }
}
