// Collection validators: documents that fail the validator are refused (validationAction "error") or
// accepted (validationAction "warn"); validationLevel "moderate" skips documents that were already
// invalid before an update.
import { compileFilter, type Predicate } from '../query/matcher.js';
import { jsonSchemaFailureDetails, parseJsonSchema } from '../query/json-schema.js';
import type { BsonDoc, BsonValue, EncodableValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import type { Collection } from './collection.js';

const compiled = new WeakMap<BsonDoc, Predicate>();

function validatorOf(collection: Collection): Predicate | undefined {
  const validator = collection.options.get('validator');
  if (!(validator instanceof Map) || validator.size === 0) return undefined;
  let predicate = compiled.get(validator);
  if (!predicate) compiled.set(validator, (predicate = compileFilter(validator)));
  return predicate;
}

/**
 * Throws DocumentValidationFailure when `doc` fails the collection's validator.
 * `before` is the document an update starts from (for validationLevel moderate).
 */
export function validateDocument(collection: Collection, doc: BsonDoc, bypass: boolean, before?: BsonDoc): void {
  if (bypass) return;
  const level = collection.options.get('validationLevel') ?? 'strict';
  if (level === 'off') return;
  const predicate = validatorOf(collection);
  if (!predicate || predicate(doc)) return;
  if (level === 'moderate' && before && !predicate(before)) return;
  if (collection.options.get('validationAction') === 'warn') return;
  throw new CommandError('DocumentValidationFailure', 'Document failed validation', {
    errInfo: {
      failingDocumentId: doc.get('_id') ?? null,
      details: failureDetails(collection.options.get('validator'), doc),
    },
  });
}

/** Why `doc` failed: itemised for a validator that is one $jsonSchema, the whole validator otherwise. */
function failureDetails(validator: BsonValue | undefined, doc: BsonDoc): EncodableValue {
  const schema = validator instanceof Map && validator.size === 1 ? validator.get('$jsonSchema') : undefined;
  if (schema !== undefined) return jsonSchemaFailureDetails(parseJsonSchema(schema), doc);
  return { operatorName: '$and', specifiedAs: validator ?? null };
}
