// What mongod's storage_validation refuses in an updated document: a top-level field name starting
// with '$' (nested ones are allowed since 5.0), and an _id that cannot be stored.
import { BsonType, typeAlias, typeOf, type BsonDoc, type BsonValue } from '../../bson/values.js';
import { CommandError } from '../../errors.js';

const INVALID_ID_TYPES = new Set<number>([BsonType.regex, BsonType.array, BsonType.undefined]);

export function checkTopLevelFieldName(name: string): void {
  if (name.startsWith('$'))
    throw new CommandError(
      'DollarPrefixedFieldName',
      `The dollar ($) prefixed field '${name}' in '${name}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
    );
}

/** Checks a whole replacement (or upserted) document before it is stored. */
export function checkStorable(doc: BsonDoc, allowTopLevelDollarFields: boolean): void {
  const id = doc.get('_id');
  if (id !== undefined) checkIdValue(id);
  if (!allowTopLevelDollarFields) for (const name of doc.keys()) checkTopLevelFieldName(name);
}

/** mongod's storageValidIdField, shared by inserts, replacements and upserts. */
export function checkIdValue(id: BsonValue): void {
  const type = typeOf(id);
  if (INVALID_ID_TYPES.has(type))
    throw new CommandError('InvalidIdField', `The '_id' value cannot be of type ${typeAlias[type]}`);
  if (id instanceof Map) {
    const dollar = dollarFieldIn(id);
    if (dollar)
      throw new CommandError(
        'DollarPrefixedFieldName',
        `_id fields may not contain '$'-prefixed fields: ${dollar} is not valid for storage.`,
      );
  }
}

/**
 * The first '$'-prefixed field name at any depth (mongod's storageValidEmbedded names only the field).
 * A DBRef ($ref, $id and an optional $db, in that order at the start) is the one allowed use.
 */
function dollarFieldIn(value: BsonDoc | BsonValue[]): string | undefined {
  const entries = Array.isArray(value)
    ? value.map((item, index): [string, BsonValue] => [String(index), item])
    : [...value];
  // Like mongod, the fields of a DBRef prefix are not looked into.
  for (const [name, item] of entries.slice(dbRefPrefixLength(entries))) {
    if (name.startsWith('$')) return name;
    if (item instanceof Map || Array.isArray(item)) {
      const nested = dollarFieldIn(item);
      if (nested) return nested;
    }
  }
  return undefined;
}

function dbRefPrefixLength(entries: [string, BsonValue][]): number {
  const [ref, id, db] = entries;
  if (ref?.[0] !== '$ref' || typeof ref[1] !== 'string' || id?.[0] !== '$id') return 0;
  return db?.[0] === '$db' && typeof db[1] === 'string' ? 3 : 2;
}
