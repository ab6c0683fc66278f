// $jsonSchema inside query filters, through mingo's jsonSchemaValidator hook. mingo evaluates filters
// over match views, which have lost the BSON number types bsonType must see, so the matcher registers
// each typed document under its view and the schema judges the typed document.
import type { JsonSchemaValidator } from 'mingo/types';
import { fromMatchValue } from '../bson/match-view.js';
import type { BsonDoc } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { parseJsonSchema } from './json-schema.js';

const typedDocuments = new WeakMap<object, BsonDoc>();

/** Lets a $jsonSchema met while testing `view` judge `doc`, the typed document it was made from. */
export function rememberTypedDocument(view: object, doc: BsonDoc): void {
  typedDocuments.set(view, doc);
}

export const jsonSchemaValidator: JsonSchemaValidator = (schema) => {
  const parsed = parseJsonSchema(fromMatchValue(schema));
  return (view: unknown) => {
    // Every view comes from the matcher; converting back is only a safety net (numbers typed by value).
    const typed = typeof view === 'object' && view !== null ? typedDocuments.get(view) : undefined;
    return parsed.matches(typed ?? fromMatchValue(view));
  };
};

const LOGICAL_OPERATORS = new Set(['$and', '$or', '$nor']);

/**
 * Whether `filter` holds a $jsonSchema (only then are typed documents worth remembering). Refuses the
 * places mingo would misread one: as a field operator (mongod: unknown operator) and inside $elemMatch,
 * where mingo would judge a wrapper instead of each item.
 */
export function usesJsonSchema(filter: BsonDoc): boolean {
  let uses = false;
  for (const [name, value] of filter) {
    if (name === '$jsonSchema') uses = true;
    else if (LOGICAL_OPERATORS.has(name) && Array.isArray(value))
      for (const clause of value) uses = (clause instanceof Map && usesJsonSchema(clause)) || uses;
    else if (!name.startsWith('$') && value instanceof Map) checkFieldCondition(value);
  }
  return uses;
}

function checkFieldCondition(condition: BsonDoc): void {
  const [first] = condition.keys();
  if (first === undefined || !first.startsWith('$')) return;
  if (condition.has('$jsonSchema')) throw new CommandError('BadValue', 'unknown operator: $jsonSchema');
  const negated = condition.get('$not');
  if (negated instanceof Map) checkFieldCondition(negated);
  const elemMatch = condition.get('$elemMatch');
  if (elemMatch instanceof Map && usesJsonSchema(elemMatch))
    throw new CommandError(
      'CommandNotSupported',
      '$jsonSchema inside $elemMatch is not supported by the Ferry sandbox',
    );
}
