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

function checkIdValue(id: BsonValue): void {
  const type = typeOf(id);
  if (INVALID_ID_TYPES.has(type))
    throw new CommandError('InvalidIdField', `The '_id' value cannot be of type ${typeAlias[type]}`);
  if (id instanceof Map) {
    const dollar = dollarFieldIn(id, '_id');
    if (dollar)
      throw new CommandError(
        'DollarPrefixedFieldName',
        `_id fields may not contain '$'-prefixed fields: ${dollar} is not valid for storage.`,
      );
  }
}

function dollarFieldIn(doc: BsonDoc, path: string): string | undefined {
  for (const [name, value] of doc) {
    if (name.startsWith('$')) return `${path}.${name}`;
    if (value instanceof Map) {
      const nested = dollarFieldIn(value, `${path}.${name}`);
      if (nested) return nested;
    }
  }
  return undefined;
}
