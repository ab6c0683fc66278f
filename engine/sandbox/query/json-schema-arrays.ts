// $jsonSchema keywords about arrays: minItems, maxItems, uniqueItems, items (one schema for every item,
// or one per position) and additionalItems (the items past those positions). Like every restriction
// keyword they ignore values that are not arrays.
import { BsonType, Int32, Long, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import {
  details,
  keywordDetails,
  restrictedRule,
  subschemaDetails,
  type JsonSchema,
  type SchemaRule,
  type SubschemaParser,
} from './json-schema-rule.js';
import { firstDuplicate, nonNegativeInteger, typeNameOf } from './json-schema-values.js';

const ARRAY = [BsonType.array];

function items(value: BsonValue): BsonValue[] {
  return value as BsonValue[];
}

export function itemCountRule(keyword: 'minItems' | 'maxItems', argument: BsonValue): SchemaRule {
  const limit = nonNegativeInteger(keyword, argument);
  return restrictedRule(
    ARRAY,
    (value) => (keyword === 'minItems' ? items(value).length >= limit : items(value).length <= limit),
    (value) => [
      keywordDetails(keyword, argument, {
        reason: 'array did not match specified length',
        consideredValue: value,
        numberOfItems: new Int32(items(value).length),
      }),
    ],
  );
}

export function uniqueItemsRule(argument: BsonValue): SchemaRule | undefined {
  if (typeof argument !== 'boolean')
    throw new CommandError('TypeMismatch', "$jsonSchema keyword 'uniqueItems' must be a boolean");
  if (!argument) return undefined;
  return restrictedRule(
    ARRAY,
    (value) => firstDuplicate(items(value)) === undefined,
    (value) => [
      keywordDetails('uniqueItems', argument, {
        reason: 'found a duplicate item',
        consideredValue: value,
        duplicatedValue: firstDuplicate(items(value)),
      }),
    ],
  );
}

/** items and additionalItems, which depend on each other: additionalItems only applies after an items array. */
export function itemsRules(
  itemsArgument: BsonValue | undefined,
  additionalArgument: BsonValue | undefined,
  parse: SubschemaParser,
): SchemaRule[] {
  const rules: SchemaRule[] = [];
  let firstAdditional: number | undefined;
  if (itemsArgument instanceof Map) {
    rules.push(allItemsRule('items', parse(itemsArgument), 0, 'At least one item did not match the sub-schema'));
  } else if (Array.isArray(itemsArgument)) {
    const positional = itemsArgument.map((schema) => {
      if (!(schema instanceof Map))
        throw new CommandError(
          'TypeMismatch',
          `$jsonSchema keyword 'items' requires that each element of the array is an object, but found a ${typeNameOf(schema)}`,
        );
      return parse(schema);
    });
    rules.push(positionalRule(positional));
    firstAdditional = positional.length;
  } else if (itemsArgument !== undefined) {
    throw new CommandError(
      'TypeMismatch',
      `$jsonSchema keyword 'items' must be an array or an object, not ${typeNameOf(itemsArgument)}`,
    );
  }
  if (additionalArgument === undefined) return rules;
  if (typeof additionalArgument !== 'boolean' && !(additionalArgument instanceof Map))
    throw new CommandError(
      'TypeMismatch',
      `$jsonSchema keyword 'additionalItems' must be either an object or a boolean, but got a ${typeNameOf(additionalArgument)}`,
    );
  const additional = additionalArgument instanceof Map ? parse(additionalArgument) : undefined;
  if (firstAdditional === undefined || additionalArgument === true) return rules;
  rules.push(
    additional
      ? allItemsRule(
          'additionalItems',
          additional,
          firstAdditional,
          'At least one additional item did not match the sub-schema',
        )
      : noAdditionalItemsRule(firstAdditional),
  );
  return rules;
}

function allItemsRule(keyword: string, schema: JsonSchema, from: number, reason: string): SchemaRule {
  const firstFailing = (value: BsonValue): number =>
    items(value).findIndex((item, i) => i >= from && !schema.matches(item));
  return restrictedRule(
    ARRAY,
    (value) => firstFailing(value) < 0,
    (value) => {
      const index = firstFailing(value);
      return [
        subschemaDetails(
          { operatorName: keyword, reason, itemIndex: new Int32(index) },
          schema,
          schema.failures(items(value)[index]),
        ),
      ];
    },
  );
}

function positionalRule(schemas: JsonSchema[]): SchemaRule {
  const failing = (value: BsonValue): number[] =>
    schemas.flatMap((schema, i) => (i < items(value).length && !schema.matches(items(value)[i]) ? [i] : []));
  return restrictedRule(
    ARRAY,
    (value) => failing(value).length === 0,
    (value) => [
      details({
        operatorName: 'items',
        details: failing(value).map((i) =>
          details({ itemIndex: Long.fromNumber(i), details: schemas[i].failures(items(value)[i]) }),
        ),
      }),
    ],
  );
}

function noAdditionalItemsRule(from: number): SchemaRule {
  return restrictedRule(
    ARRAY,
    (value) => items(value).length <= from,
    (value) => [
      keywordDetails('additionalItems', false, {
        reason: 'found additional items',
        additionalItems: items(value).slice(from),
      }),
    ],
  );
}
