// $jsonSchema keywords about documents: required, properties, patternProperties with
// additionalProperties, minProperties, maxProperties and dependencies. They ignore values that are
// not documents. Property names are plain field names (no dotted paths).
import { asDoc } from '../bson/path.js';
import { BsonType, Int32, type BsonDoc, type BsonValue } from '../bson/values.js';
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
import { nonNegativeInteger, schemaRegex, sortedNames, typeNameOf } from './json-schema-values.js';

const OBJECT = [BsonType.object];

function fields(value: BsonValue): BsonDoc {
  return asDoc(value) ?? new Map();
}

/** The property names `required` lists, checked as mongod's parseRequired does. */
export function requiredNames(argument: BsonValue): string[] {
  if (!Array.isArray(argument))
    throw new CommandError(
      'TypeMismatch',
      `$jsonSchema keyword 'required' must be an array, but found an element of type ${typeNameOf(argument)}`,
    );
  for (const name of argument)
    if (typeof name !== 'string')
      throw new CommandError(
        'TypeMismatch',
        `$jsonSchema keyword 'required' must be an array of strings, but found an element of type: ${typeNameOf(name)}`,
      );
  const names = argument as string[];
  if (names.length === 0)
    throw new CommandError('FailedToParse', "$jsonSchema keyword 'required' cannot be an empty array");
  if (new Set(names).size !== names.length)
    throw new CommandError('FailedToParse', "$jsonSchema keyword 'required' array cannot contain duplicate values");
  return names;
}

export function requiredRule(argument: BsonValue, names: readonly string[]): SchemaRule {
  const missing = (value: BsonValue): string[] => {
    const doc = fields(value);
    return sortedNames(names.filter((name) => !doc.has(name)));
  };
  return restrictedRule(
    OBJECT,
    (value) => missing(value).length === 0,
    (value) => [keywordDetails('required', argument, { missingProperties: missing(value) })],
  );
}

export function propertiesRule(argument: BsonValue, parse: SubschemaParser): SchemaRule {
  if (!(argument instanceof Map))
    throw new CommandError('TypeMismatch', "$jsonSchema keyword 'properties' must be an object");
  const schemas = new Map<string, JsonSchema>();
  for (const [name, schema] of argument) {
    if (!(schema instanceof Map))
      throw new CommandError('TypeMismatch', `Nested schema for $jsonSchema property '${name}' must be an object`);
    schemas.set(name, parse(schema));
  }
  // A missing property is the business of `required`, not of its schema.
  const failing = (value: BsonValue): [string, JsonSchema, BsonValue][] => {
    const doc = fields(value);
    const out: [string, JsonSchema, BsonValue][] = [];
    for (const [name, schema] of schemas) {
      const field = doc.get(name);
      if (field !== undefined && !schema.matches(field)) out.push([name, schema, field]);
    }
    return out;
  };
  return restrictedRule(
    OBJECT,
    (value) => failing(value).length === 0,
    (value) => [
      details({
        operatorName: 'properties',
        propertiesNotSatisfied: failing(value).map(([name, schema, field]) =>
          subschemaDetails({ propertyName: name }, schema, schema.failures(field)),
        ),
      }),
    ],
  );
}

interface PatternSchema {
  readonly source: string;
  readonly regex: RegExp;
  readonly schema: JsonSchema;
}

/** What additionalProperties asks of the fields no property or pattern names. */
type Otherwise = boolean | JsonSchema;

/**
 * patternProperties and additionalProperties together (mongod's $_internalSchemaAllowedProperties):
 * every field matching a pattern must satisfy that pattern's schema; a field neither named by
 * `properties` nor matching a pattern must satisfy additionalProperties.
 */
export function allowedPropertiesRule(
  properties: BsonValue | undefined,
  patternArgument: BsonValue | undefined,
  additionalArgument: BsonValue | undefined,
  parse: SubschemaParser,
): SchemaRule | undefined {
  const patterns = patternSchemas(patternArgument, parse);
  const otherwise = otherwiseOf(additionalArgument, parse);
  if (patternArgument === undefined && additionalArgument === undefined) return undefined;
  const named = new Set(properties instanceof Map ? properties.keys() : []);
  const additional = (value: BsonValue): [string, BsonValue][] =>
    [...fields(value)].filter(([name]) => !named.has(name) && !patterns.some(({ regex }) => regex.test(name)));
  const failingAdditional = (value: BsonValue): [string, BsonValue][] =>
    otherwise === true ? [] : additional(value).filter(([, field]) => otherwise === false || !otherwise.matches(field));
  const failingPatterns = (value: BsonValue): [string, BsonValue, PatternSchema][] =>
    patterns.flatMap((pattern) => {
      const failing = [...fields(value)].find(
        ([name, field]) => pattern.regex.test(name) && !pattern.schema.matches(field),
      );
      return failing ? [[...failing, pattern]] : [];
    });
  return restrictedRule(
    OBJECT,
    (value) => failingAdditional(value).length === 0 && failingPatterns(value).length === 0,
    (value) => [
      ...additionalDetails(otherwise, additional(value), failingAdditional(value)),
      ...patternDetails(failingPatterns(value)),
    ],
  );
}

function otherwiseOf(argument: BsonValue | undefined, parse: SubschemaParser): Otherwise {
  if (argument === undefined) return true;
  if (typeof argument === 'boolean') return argument;
  if (argument instanceof Map) return parse(argument);
  throw new CommandError('TypeMismatch', "$jsonSchema keyword 'additionalProperties' must be an object or a boolean");
}

function additionalDetails(
  otherwise: Otherwise,
  additional: [string, BsonValue][],
  failing: [string, BsonValue][],
): BsonDoc[] {
  if (failing.length === 0 || otherwise === true) return [];
  if (otherwise === false)
    return [keywordDetails('additionalProperties', false, { additionalProperties: additional.map(([name]) => name) })];
  const [name, field] = failing[0];
  const leading = {
    operatorName: 'additionalProperties',
    reason: 'at least one additional property did not match the subschema',
    failingProperty: name,
  };
  return [subschemaDetails(leading, otherwise, otherwise.failures(field))];
}

function patternDetails(failing: [string, BsonValue, PatternSchema][]): BsonDoc[] {
  if (failing.length === 0) return [];
  const entries = failing.map(([name, field, { schema, source }]) =>
    subschemaDetails({ propertyName: name }, schema, schema.failures(field), { regexMatched: source }),
  );
  return [details({ operatorName: 'patternProperties', details: entries })];
}

function patternSchemas(argument: BsonValue | undefined, parse: SubschemaParser): PatternSchema[] {
  if (argument === undefined) return [];
  if (!(argument instanceof Map))
    throw new CommandError('TypeMismatch', "$jsonSchema keyword 'patternProperties' must be an object");
  return [...argument].map(([source, schema]) => {
    if (!(schema instanceof Map))
      throw new CommandError(
        'TypeMismatch',
        `$jsonSchema keyword 'patternProperties' has property '${source}' which is not an object`,
      );
    return { source, schema: parse(schema), regex: schemaRegex(source) };
  });
}

export function propertyCountRule(keyword: 'minProperties' | 'maxProperties', argument: BsonValue): SchemaRule {
  const limit = nonNegativeInteger(keyword, argument);
  return restrictedRule(
    OBJECT,
    (value) => (keyword === 'minProperties' ? fields(value).size >= limit : fields(value).size <= limit),
    (value) => [
      keywordDetails(keyword, argument, {
        reason: 'specified number of properties was not satisfied',
        numberOfProperties: new Int32(fields(value).size),
      }),
    ],
  );
}

type Dependency =
  | { readonly property: string; readonly schema: JsonSchema }
  | { readonly property: string; readonly requires: readonly string[] };

export function dependenciesRule(argument: BsonValue, parse: SubschemaParser): SchemaRule {
  if (!(argument instanceof Map))
    throw new CommandError('TypeMismatch', "$jsonSchema keyword 'dependencies' must be an object");
  const dependencies = [...argument].map(([property, dependency]) => parseDependency(property, dependency, parse));
  const missing = (doc: BsonDoc, requires: readonly string[]): string[] => requires.filter((name) => !doc.has(name));
  const fails = (value: BsonValue, dependency: Dependency): boolean => {
    const doc = fields(value);
    if (!doc.has(dependency.property)) return false;
    return 'schema' in dependency ? !dependency.schema.matches(value) : missing(doc, dependency.requires).length > 0;
  };
  return restrictedRule(
    OBJECT,
    (value) => !dependencies.some((dependency) => fails(value, dependency)),
    (value) => [
      details({
        operatorName: 'dependencies',
        failingDependencies: dependencies
          .filter((dependency) => fails(value, dependency))
          .map((dependency) =>
            'schema' in dependency
              ? details({ conditionalProperty: dependency.property, details: dependency.schema.failures(value) })
              : details({
                  conditionalProperty: dependency.property,
                  missingProperties: missing(fields(value), dependency.requires),
                }),
          ),
      }),
    ],
  );
}

function parseDependency(property: string, dependency: BsonValue, parse: SubschemaParser): Dependency {
  const where = `in $jsonSchema keyword 'dependencies'`;
  if (dependency instanceof Map) return { property, schema: parse(dependency) };
  if (!Array.isArray(dependency))
    throw new CommandError('TypeMismatch', `property '${property}' ${where} must be either an object or an array`);
  if (dependency.length === 0)
    throw new CommandError('FailedToParse', `property '${property}' ${where} cannot be an empty array`);
  const requires: string[] = [];
  for (const name of dependency) {
    if (typeof name !== 'string')
      throw new CommandError(
        'TypeMismatch',
        `array '${property}' ${where} can only contain strings, but found element of type: ${typeNameOf(name)}`,
      );
    if (requires.includes(name))
      throw new CommandError('FailedToParse', `array '${property}' ${where} contains duplicate element: ${name}`);
    requires.push(name);
  }
  return { property, requires };
}
