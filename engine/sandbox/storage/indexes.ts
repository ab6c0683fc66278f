// The index specs of one collection, kept verbatim as created, and the key sets that enforce unique
// indexes. Queries never use secondary indexes in the sandbox; only uniqueness needs their keys.
import { indexKeys, keyValueDocument } from '../bson/index-key.js';
import { Int32, type BsonDoc, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import type { Collection, StoredDocument } from './collection.js';
import { formatValue } from '../bson/format.js';

export interface Index {
  readonly name: string;
  spec: BsonDoc;
  /** Key strings to record ids, kept only for unique indexes. */
  unique?: Map<string, number>;
  /** Optional predicate from partialFilterExpression. */
  partial?: (doc: BsonDoc) => boolean;
}

export type PartialFilterCompiler = (filter: BsonDoc) => (doc: BsonDoc) => boolean;

let compilePartialFilter: PartialFilterCompiler | undefined;
/** The matcher lives in query/; it registers itself here to keep storage free of query imports. */
export function setPartialFilterCompiler(compiler: PartialFilterCompiler): void {
  compilePartialFilter = compiler;
}

export function idIndexSpec(): BsonDoc {
  return new Map<string, BsonValue>([
    ['v', new Int32(2)],
    ['key', new Map([['_id', new Int32(1)]])],
    ['name', '_id_'],
  ]);
}

export class IndexCatalog {
  readonly list: Index[] = [];

  constructor(private readonly collection: Collection) {}

  get(name: string): Index | undefined {
    return this.list.find((index) => index.name === name);
  }

  /** Adds an index and builds its keys over the existing documents; fails if unique keys collide. */
  create(spec: BsonDoc, documents: Iterable<[StoredDocument, BsonDoc]>): Index {
    const index: Index = { name: String(spec.get('name')), spec };
    const partial = spec.get('partialFilterExpression');
    if (partial instanceof Map && compilePartialFilter) index.partial = compilePartialFilter(partial);
    if (spec.get('unique') === true && index.name !== '_id_') {
      index.unique = new Map();
      for (const [record, doc] of documents) this.insertKeys(index, doc, record);
    }
    this.list.push(index);
    return index;
  }

  drop(name: string): void {
    const position = this.list.findIndex((index) => index.name === name);
    if (position >= 0) this.list.splice(position, 1);
  }

  /** Throws DuplicateKey if `doc` would collide in a unique index (ignoring the record itself). */
  check(doc: BsonDoc, self?: StoredDocument): void {
    const id = doc.get('_id');
    if (id !== undefined) {
      const existing = this.collection.findById(id);
      if (existing && existing !== self)
        this.duplicate('_id_', new Map([['_id', new Int32(1)]]), new Map([['_id', id]]));
    }
    for (const index of this.list) {
      if (!index.unique || (index.partial && !index.partial(doc))) continue;
      const key = this.keyPattern(index);
      for (const keyString of indexKeys(doc, key, { sparse: index.spec.get('sparse') === true }) ?? []) {
        const owner = index.unique.get(keyString);
        if (owner !== undefined && owner !== self?.rid) this.duplicate(index.name, key, keyValueDocument(doc, key));
      }
    }
  }

  add(doc: BsonDoc, record: StoredDocument): void {
    for (const index of this.list) if (index.unique) this.insertKeys(index, doc, record);
  }

  remove(doc: BsonDoc, record: StoredDocument): void {
    for (const index of this.list) {
      if (!index.unique) continue;
      for (const keyString of indexKeys(doc, this.keyPattern(index), { sparse: index.spec.get('sparse') === true }) ??
        []) {
        if (index.unique.get(keyString) === record.rid) index.unique.delete(keyString);
      }
    }
  }

  private insertKeys(index: Index, doc: BsonDoc, record: StoredDocument): void {
    if (!index.unique || (index.partial && !index.partial(doc))) return;
    const key = this.keyPattern(index);
    for (const keyString of indexKeys(doc, key, { sparse: index.spec.get('sparse') === true }) ?? []) {
      const owner = index.unique.get(keyString);
      if (owner !== undefined && owner !== record.rid) this.duplicate(index.name, key, keyValueDocument(doc, key));
      index.unique.set(keyString, record.rid);
    }
  }

  private keyPattern(index: Index): BsonDoc {
    return index.spec.get('key') as BsonDoc;
  }

  private duplicate(name: string, keyPattern: BsonDoc, keyValue: BsonDoc): never {
    const shown = [...keyValue].map(([field, value]) => `${field}: ${formatValue(value)}`).join(', ');
    throw new CommandError(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${this.collection.ns} index: ${name} dup key: { ${shown} }`,
      { keyPattern, keyValue },
    );
  }
}
