// Chooses and orders the documents a read or write touches: an _id equality or range uses the ordered
// _id index, everything else scans in natural order; then filter, sort, skip and limit. Under a
// collation strings match and sort by it, and an _id condition on strings scans (the _id tree is
// byte-ordered).
import type { Collation } from '../bson/collation.js';
import { compareDocuments, compareDocumentsBySortSpec } from '../bson/compare.js';
import { decodeDocument } from '../bson/decode.js';
import { BSONSymbol, MaxKey, MinKey, type BsonDoc, type BsonValue } from '../bson/values.js';
import type { Collection, StoredDocument } from '../storage/collection.js';
import { CommandError } from '../errors.js';
import { compileFilter, matchAll } from './matcher.js';
import { numberOption } from '../storage/writer.js';

export interface Selected {
  readonly record: StoredDocument;
  readonly doc: BsonDoc;
}

/** Decodes its document only when asked: a plain scan returns stored bytes without decoding them. */
class Selection implements Selected {
  constructor(
    readonly record: StoredDocument,
    private decoded?: BsonDoc,
  ) {}

  get doc(): BsonDoc {
    return (this.decoded ??= decodeDocument(this.record.bytes));
  }
}

export interface SelectOptions {
  sort?: BsonDoc;
  skip?: number;
  /** 0 or undefined: no limit. */
  limit?: number;
  /** `{ $natural: -1 }` reverses natural order. */
  hint?: BsonValue;
  /** The command's evaluated `let` values, for $expr. */
  variables?: BsonDoc;
  /** The operation's collation; none: simple. */
  collation?: Collation;
}

export function selectDocuments(
  collection: Collection,
  filter: BsonDoc | undefined,
  options: SelectOptions = {},
): Selected[] {
  checkHint(collection, options.hint);
  const { collation } = options;
  const predicate = compileFilter(filter, options.variables, collation);
  const candidates = candidateRecords(collection, filter, options.hint, collation);
  const out: Selected[] = [];
  const { sort, skip = 0, limit = 0 } = options;
  const sorting = sort !== undefined && sort.size > 0 && !isNaturalSort(sort);
  const filtering = predicate !== matchAll;
  for (const record of candidates) {
    if (filtering) {
      const doc = decodeDocument(record.bytes);
      if (!predicate(doc)) continue;
      out.push(new Selection(record, doc));
    } else {
      out.push(new Selection(record));
    }
    // Without a sort the scan can stop as soon as skip + limit documents have matched.
    if (!sorting && limit > 0 && out.length >= skip + limit) break;
  }
  if (sorting) {
    const compare = compareDocumentsBySortSpec(sort, collation?.compare);
    out.sort((a, b) => compare(a.doc, b.doc) || a.record.rid - b.record.rid);
  } else if (sort && naturalDirection(sort) < 0) {
    out.reverse();
  }
  const end = limit > 0 ? skip + limit : undefined;
  return skip > 0 || end !== undefined ? out.slice(skip, end) : out;
}

/** A hint names an existing index (by name or key pattern) or asks for $natural order. */
export function checkHint(collection: Collection, hint: BsonValue | undefined): void {
  if (typeof hint === 'string') {
    if (collection.indexes.get(hint)) return;
  } else if (hint instanceof Map) {
    if (hint.size === 0 || hint.has('$natural')) return;
    const matches = (index: { spec: BsonDoc }): boolean => {
      const key = index.spec.get('key');
      return key instanceof Map && compareDocuments(key, hint) === 0;
    };
    if (collection.indexes.list.some(matches)) return;
  } else {
    return;
  }
  throw new CommandError('BadValue', 'hint provided does not correspond to an existing index');
}

function isNaturalSort(sort: BsonDoc): boolean {
  return sort.size === 1 && sort.has('$natural');
}

function naturalDirection(sort: BsonDoc): number {
  const direction = numberOption(sort.get('$natural'));
  return direction !== undefined && direction < 0 ? -1 : 1;
}

function candidateRecords(
  collection: Collection,
  filter: BsonDoc | undefined,
  hint: BsonValue | undefined,
  collation: Collation | undefined,
): Iterable<StoredDocument> {
  if (hint instanceof Map && hint.has('$natural')) {
    const records = [...collection.natural()];
    return naturalDirection(hint) < 0 ? records.reverse() : records;
  }
  const id = filter?.get('_id');
  if (id === undefined || (collation && holdsString(id))) return collection.natural();
  if (!(id instanceof Map) || ![...id.keys()].some((key) => key.startsWith('$'))) {
    if (Array.isArray(id)) return collection.natural();
    const record = collection.findById(id);
    return record ? [record] : [];
  }
  const bounds = idBounds(id);
  if (!bounds) return collection.natural();
  return collection.idRange(bounds.low, bounds.high);
}

function holdsString(value: BsonValue): boolean {
  if (typeof value === 'string' || value instanceof BSONSymbol) return true;
  if (Array.isArray(value)) return value.some(holdsString);
  return value instanceof Map && [...value.values()].some(holdsString);
}

/** Index bounds for an _id condition made only of $gt/$gte/$lt/$lte/$eq; the filter still decides each document. */
function idBounds(
  condition: BsonDoc,
): { low?: { value: BsonValue; inclusive: boolean }; high?: { value: BsonValue; inclusive: boolean } } | undefined {
  let low: { value: BsonValue; inclusive: boolean } | undefined;
  let high: { value: BsonValue; inclusive: boolean } | undefined;
  for (const [operator, value] of condition) {
    if (Array.isArray(value) || value instanceof MinKey || value instanceof MaxKey) return undefined;
    switch (operator) {
      case '$eq':
        low = { value, inclusive: true };
        high = { value, inclusive: true };
        break;
      case '$gt':
      case '$gte':
        low = { value, inclusive: operator === '$gte' };
        break;
      case '$lt':
      case '$lte':
        high = { value, inclusive: operator === '$lte' };
        break;
      default:
        return undefined;
    }
  }
  // An open end scans to the edge of the index; the (type-bracketed) filter then drops other types.
  if (low && !high) high = { value: new MaxKey(), inclusive: true };
  if (high && !low) low = { value: new MinKey(), inclusive: true };
  return { low, high };
}
