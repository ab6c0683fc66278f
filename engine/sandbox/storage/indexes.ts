// The index specs of one collection, kept verbatim as created, and the key sets that enforce unique
// and prepareUnique indexes. Queries never use secondary indexes in the sandbox; only uniqueness needs
// their keys. An index with a collation keys strings by that collation (so is the _id index of a
// collection with a default collation), so strings it finds equal collide.
import { collationOf } from '../bson/collation.js';
import { indexKeys, keyValueDocument, type StringKey } from '../bson/index-key.js';
import { Int32, type BsonDoc, type BsonValue } from '../bson/values.js';
import type { Collection, StoredDocument } from './collection.js';
import { duplicateKeyError } from './duplicate-key.js';
import { compareValues, valuesEqual } from '../bson/compare.js';
import { isBsonNumber } from '../bson/numeric.js';

export interface Index {
  readonly name: string;
  spec: BsonDoc;
  /**
   * Key strings to the records holding them, kept only for unique and prepareUnique indexes. A
   * prepareUnique index may have been built over duplicates, so one key can have several records.
   */
  keys?: Map<string, Set<number>>;
  /** Optional predicate from partialFilterExpression. */
  partial?: (doc: BsonDoc) => boolean;
}

export type PartialFilterCompiler = (filter: BsonDoc) => (doc: BsonDoc) => boolean;

let compilePartialFilter: PartialFilterCompiler | undefined;
/** The matcher lives in query/; it registers itself here to keep storage free of query imports. */
export function setPartialFilterCompiler(compiler: PartialFilterCompiler): void {
  compilePartialFilter = compiler;
}

/** A boolean index option as mongod reads it: true or any non-zero number (specs keep `sparse: 1` as given). */
function isSet(value: BsonValue | undefined): boolean {
  return value === true || (value !== undefined && isBsonNumber(value) && compareValues(value, new Int32(0)) !== 0);
}

/** How the index keys strings: by its collation's key form, or as they are (simple collation). */
function stringKeyOf(index: Index): StringKey | undefined {
  const collation = index.spec.get('collation');
  return collation instanceof Map ? collationOf(collation).key : undefined;
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
    this.rebuild(index, documents);
    this.list.push(index);
    return index;
  }

  /** The indexes whose key pattern equals `keyPattern` (numbers compare by value, as in mongod). */
  findByKeyPattern(keyPattern: BsonDoc): Index[] {
    return this.list.filter((index) => valuesEqual(this.keyPattern(index), keyPattern));
  }

  /** The _ids of the documents that share a key of a prepareUnique index, one group per key. */
  duplicateGroups(index: Index): BsonValue[][] {
    const groups: BsonValue[][] = [];
    for (const owners of index.keys?.values() ?? []) {
      if (owners.size < 2) continue;
      groups.push([...owners].sort((a, b) => a - b).flatMap((rid) => this.collection.records.get(rid)?.id ?? []));
    }
    return groups;
  }

  /** (Re)computes an index's filter and keys from its spec (also after collMod); fails if unique keys collide. */
  rebuild(index: Index, documents: Iterable<[StoredDocument, BsonDoc]>): void {
    const partial = index.spec.get('partialFilterExpression');
    const filter = partial instanceof Map && compilePartialFilter ? compilePartialFilter(partial) : undefined;
    const isIdIndex = index.name === '_id_';
    const unique = isIdIndex || index.spec.get('unique') === true;
    // A byte-wise _id index is the collection's _id tree itself; a collated one needs its own keys.
    if ((isIdIndex && !stringKeyOf(index)) || (!unique && index.spec.get('prepareUnique') !== true)) {
      index.partial = filter;
      index.keys = undefined;
      return;
    }
    const keys = new Map<string, Set<number>>();
    for (const [record, doc] of documents) {
      if (filter && !filter(doc)) continue;
      for (const keyString of this.keyStrings(index, doc)) {
        const owners = keys.get(keyString);
        if (!owners) keys.set(keyString, new Set([record.rid]));
        else if (unique && !owners.has(record.rid)) this.duplicateOf(index, doc);
        else owners.add(record.rid);
      }
    }
    index.partial = filter;
    index.keys = keys;
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
      if (existing && existing !== self) {
        const idIndex = this.get('_id_');
        if (idIndex) this.duplicateOf(idIndex, doc);
        this.duplicate('_id_', new Map([['_id', new Int32(1)]]), new Map([['_id', id]]));
      }
    }
    for (const index of this.list) {
      if (!index.keys || (index.partial && !index.partial(doc))) continue;
      for (const keyString of this.keyStrings(index, doc)) {
        const owners = index.keys.get(keyString);
        // A key the record already holds is not a new entry: prepareUnique tolerates old duplicates.
        if (owners && !(self && owners.has(self.rid))) this.duplicateOf(index, doc);
      }
    }
  }

  add(doc: BsonDoc, record: StoredDocument): void {
    for (const index of this.list) {
      if (!index.keys || (index.partial && !index.partial(doc))) continue;
      for (const keyString of this.keyStrings(index, doc)) {
        const owners = index.keys.get(keyString);
        if (owners) owners.add(record.rid);
        else index.keys.set(keyString, new Set([record.rid]));
      }
    }
  }

  remove(doc: BsonDoc, record: StoredDocument): void {
    for (const index of this.list) {
      if (!index.keys) continue;
      for (const keyString of this.keyStrings(index, doc)) {
        const owners = index.keys.get(keyString);
        if (!owners?.delete(record.rid)) continue;
        if (owners.size === 0) index.keys.delete(keyString);
      }
    }
  }

  private keyStrings(index: Index, doc: BsonDoc): string[] {
    const options = { sparse: isSet(index.spec.get('sparse')), stringKey: stringKeyOf(index) };
    return indexKeys(doc, this.keyPattern(index), options) ?? [];
  }

  private keyPattern(index: Index): BsonDoc {
    return index.spec.get('key') as BsonDoc;
  }

  private duplicateOf(index: Index, doc: BsonDoc): never {
    const key = this.keyPattern(index);
    const collation = index.spec.get('collation');
    return this.duplicate(
      index.name,
      key,
      keyValueDocument(doc, key),
      collation instanceof Map ? collation : undefined,
    );
  }

  private duplicate(name: string, keyPattern: BsonDoc, keyValue: BsonDoc, collation?: BsonDoc): never {
    throw duplicateKeyError(this.collection.ns, name, keyPattern, keyValue, collation);
  }
}
