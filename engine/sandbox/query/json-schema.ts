// $jsonSchema: MongoDB's subset of JSON Schema draft 4 with its `bsonType` extension, judged over the
// typed view so that bsonType tells int, long, double and decimal apart. A schema is parsed the way
// mongod's JSONSchemaParser parses it (the same keyword order, so the same first error) into rules,
// which also explain a failure the way document validation errors do.
import { asDoc } from '../bson/path.js';
import { Int32, type BsonDoc, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { itemCountRule, itemsRules, uniqueItemsRule } from './json-schema-arrays.js';
import {
  allowedPropertiesRule,
  dependenciesRule,
  propertiesRule,
  propertyCountRule,
  requiredNames,
  requiredRule,
} from './json-schema-objects.js';
import { details, JsonSchema, subschemaDetails, type Annotations, type SchemaRule } from './json-schema-rule.js';
import { boundRule, enumRule, multipleOfRule, patternRule, stringLengthRule, typeRule } from './json-schema-scalars.js';
import { typeNameOf } from './json-schema-values.js';

export { JsonSchema } from './json-schema-rule.js';

const KEYWORDS = new Set([
  'additionalItems',
  'additionalProperties',
  'allOf',
  'anyOf',
  'bsonType',
  'dependencies',
  'description',
  'encrypt',
  'encryptMetadata',
  'enum',
  'exclusiveMaximum',
  'exclusiveMinimum',
  'items',
  'maxItems',
  'maxLength',
  'maxProperties',
  'maximum',
  'minItems',
  'minLength',
  'minProperties',
  'minimum',
  'multipleOf',
  'not',
  'oneOf',
  'pattern',
  'patternProperties',
  'properties',
  'required',
  'title',
  'type',
  'uniqueItems',
]);
/** Keywords mongod names and refuses. */
const UNSUPPORTED_KEYWORDS = new Set(['$ref', '$schema', 'default', 'definitions', 'format', 'id']);
/** Keywords mongod accepts (client-side field level encryption) that the sandbox does not. */
const SANDBOX_UNSUPPORTED_KEYWORDS = new Set(['encrypt', 'encryptMetadata']);

/** The value of `$jsonSchema`, parsed; throws mongod's error for an invalid schema. */
export function parseJsonSchema(value: BsonValue): JsonSchema {
  const schema = asDoc(value);
  if (!schema) throw new CommandError('TypeMismatch', '$jsonSchema must be an object');
  return parseSchema(schema);
}

/** errInfo.details of a document that failed a validator `{$jsonSchema: schema}`. */
export function jsonSchemaFailureDetails(schema: JsonSchema, doc: BsonDoc): BsonDoc {
  const out = details({ operatorName: '$jsonSchema' });
  for (const [name, text] of schema.annotations) out.set(name, text);
  return out.set('schemaRulesNotSatisfied', schema.failures(doc));
}

function parseSchema(schema: BsonDoc): JsonSchema {
  checkKeywords(schema);
  const annotations = annotationsOf(schema);
  const keyword = (name: string): BsonValue | undefined => schema.get(name);
  if (schema.has('type') && schema.has('bsonType'))
    throw new CommandError('FailedToParse', "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'");
  const typeKeyword = schema.has('type') ? 'type' : schema.has('bsonType') ? 'bsonType' : undefined;
  const type = typeKeyword === undefined ? undefined : typeRule(typeKeyword, schema.get(typeKeyword) as BsonValue);
  const rules: (SchemaRule | undefined)[] = [
    ...given(keyword('pattern'), patternRule),
    ...given(keyword('maxLength'), (argument) => stringLengthRule('maxLength', argument)),
    ...given(keyword('minLength'), (argument) => stringLengthRule('minLength', argument)),
    ...given(keyword('multipleOf'), multipleOfRule),
    boundRule('maximum', keyword('maximum'), keyword('exclusiveMaximum')),
    boundRule('minimum', keyword('minimum'), keyword('exclusiveMinimum')),
    ...given(keyword('minItems'), (argument) => itemCountRule('minItems', argument)),
    ...given(keyword('maxItems'), (argument) => itemCountRule('maxItems', argument)),
    ...given(keyword('uniqueItems'), uniqueItemsRule),
    ...itemsRules(keyword('items'), keyword('additionalItems'), parseSchema),
    ...objectRules(schema),
    ...given(keyword('allOf'), allOfRule),
    ...given(keyword('anyOf'), anyOfRule),
    ...given(keyword('oneOf'), oneOfRule),
    ...given(keyword('not'), notRule),
    ...given(keyword('enum'), enumRule),
    type,
  ];
  return new JsonSchema(
    rules.filter((rule): rule is SchemaRule => rule !== undefined),
    annotations,
  );
}

function given<T>(argument: BsonValue | undefined, make: (argument: BsonValue) => T): T[] {
  return argument === undefined ? [] : [make(argument)];
}

function checkKeywords(schema: BsonDoc): void {
  for (const name of schema.keys()) {
    if (UNSUPPORTED_KEYWORDS.has(name))
      throw new CommandError('FailedToParse', `$jsonSchema keyword '${name}' is not currently supported`);
    if (!KEYWORDS.has(name)) throw new CommandError('FailedToParse', `Unknown $jsonSchema keyword: ${name}`);
    if (SANDBOX_UNSUPPORTED_KEYWORDS.has(name))
      throw new CommandError(
        'CommandNotSupported',
        `$jsonSchema keyword '${name}' is not supported by the Ferry sandbox`,
      );
  }
}

function annotationsOf(schema: BsonDoc): Annotations {
  // Checked description first, as mongod does; reported in the schema's own order.
  for (const name of ['description', 'title']) {
    const text = schema.get(name);
    if (text !== undefined && typeof text !== 'string')
      throw new CommandError('TypeMismatch', `$jsonSchema keyword '${name}' must be of type string`);
  }
  return [...schema].flatMap(([name, text]) =>
    (name === 'title' || name === 'description') && typeof text === 'string' ? [[name, text] as const] : [],
  );
}

/** The object keywords: `required` is read first but checked after properties, as in mongod. */
function objectRules(schema: BsonDoc): (SchemaRule | undefined)[] {
  const required = schema.get('required');
  const names = required === undefined ? undefined : requiredNames(required);
  const properties = schema.get('properties');
  return [
    ...given(properties, (argument) => propertiesRule(argument, parseSchema)),
    allowedPropertiesRule(properties, schema.get('patternProperties'), schema.get('additionalProperties'), parseSchema),
    ...given(required, (argument) => requiredRule(argument, names ?? [])),
    ...given(schema.get('minProperties'), (argument) => propertyCountRule('minProperties', argument)),
    ...given(schema.get('maxProperties'), (argument) => propertyCountRule('maxProperties', argument)),
    ...given(schema.get('dependencies'), (argument) => dependenciesRule(argument, parseSchema)),
  ];
}

function subschemaList(keyword: string, argument: BsonValue): JsonSchema[] {
  if (!Array.isArray(argument))
    throw new CommandError('TypeMismatch', `$jsonSchema keyword '${keyword}' must be an array`);
  if (argument.length === 0)
    throw new CommandError('BadValue', `$jsonSchema keyword '${keyword}' must be a non-empty array`);
  return argument.map((schema) => {
    if (!(schema instanceof Map))
      throw new CommandError(
        'TypeMismatch',
        `$jsonSchema keyword '${keyword}' must be an array of objects, but found an element of type ${typeNameOf(schema)}`,
      );
    return parseSchema(schema);
  });
}

/** `{index, ...annotations, details}` for each of `schemas` that `value` fails. */
function schemasNotSatisfied(schemas: JsonSchema[], value: BsonValue): BsonDoc[] {
  return schemas.flatMap((schema, index) =>
    schema.matches(value) ? [] : [subschemaDetails({ index: new Int32(index) }, schema, schema.failures(value))],
  );
}

function allOfRule(argument: BsonValue): SchemaRule {
  const schemas = subschemaList('allOf', argument);
  return {
    matches: (value) => schemas.every((schema) => schema.matches(value)),
    explain: (value) => [details({ operatorName: 'allOf', schemasNotSatisfied: schemasNotSatisfied(schemas, value) })],
  };
}

function anyOfRule(argument: BsonValue): SchemaRule {
  const schemas = subschemaList('anyOf', argument);
  return {
    matches: (value) => schemas.some((schema) => schema.matches(value)),
    explain: (value) => [details({ operatorName: 'anyOf', schemasNotSatisfied: schemasNotSatisfied(schemas, value) })],
  };
}

function oneOfRule(argument: BsonValue): SchemaRule {
  const schemas = subschemaList('oneOf', argument);
  const matching = (value: BsonValue): number[] =>
    schemas.flatMap((schema, index) => (schema.matches(value) ? [index] : []));
  return {
    matches: (value) => matching(value).length === 1,
    explain: (value) => {
      const indexes = matching(value);
      if (indexes.length === 0)
        return [details({ operatorName: 'oneOf', schemasNotSatisfied: schemasNotSatisfied(schemas, value) })];
      return [
        details({
          operatorName: 'oneOf',
          reason: 'more than one subschema matched',
          matchingSchemaIndexes: indexes.map((index) => new Int32(index)),
        }),
      ];
    },
  };
}

function notRule(argument: BsonValue): SchemaRule {
  if (!(argument instanceof Map))
    throw new CommandError(
      'TypeMismatch',
      `$jsonSchema keyword 'not' must be an object, but found an element of type ${typeNameOf(argument)}`,
    );
  const schema = parseSchema(argument);
  return {
    matches: (value) => !schema.matches(value),
    explain: () => [details({ operatorName: 'not', reason: 'child expression matched' })],
  };
}
