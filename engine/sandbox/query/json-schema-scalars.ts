// $jsonSchema keywords about one value: type and bsonType, the string keywords (pattern, minLength,
// maxLength), the number keywords (multipleOf, minimum, maximum and their exclusive flags) and enum.
// Arguments are checked with mongod's JSONSchemaParser errors.
import { isBsonNumber, toExact, type BsonNumber } from '../bson/numeric.js';
import { BsonType, typeOf, type BsonDoc, type BsonValue, type RawValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { details, keywordDetails, restrictedRule, type SchemaRule } from './json-schema-rule.js';
import {
  firstDuplicate,
  isMultipleOf,
  nonNegativeInteger,
  sameValue,
  schemaRegex,
  typeNameOf,
  withinBound,
} from './json-schema-values.js';

const NUMBER_TYPES = [BsonType.double, BsonType.int, BsonType.long, BsonType.decimal];
const NUMBER_ALIAS = 'number';

/** JSON Schema's own type names (MatcherTypeSet::kJsonSchemaTypeAliasMap); bsonType takes $type's. */
const JSON_TYPE_ALIASES: ReadonlyMap<string, number> = new Map([
  ['array', BsonType.array],
  ['boolean', BsonType.bool],
  ['null', BsonType.null],
  ['object', BsonType.object],
  ['string', BsonType.string],
]);
const BSON_TYPE_ALIASES: ReadonlyMap<string, number> = new Map(Object.entries(BsonType));

/** The rule of `type` or `bsonType`; mongod puts it after every other keyword of its schema. */
export function typeRule(keyword: 'type' | 'bsonType', argument: BsonValue): SchemaRule {
  const types = typeSet(keyword, argument, keyword === 'type' ? JSON_TYPE_ALIASES : BSON_TYPE_ALIASES);
  return {
    matches: (value) => types.has(typeOf(value)),
    explain: (value) => [
      keywordDetails(keyword, argument, {
        reason: 'type did not match',
        consideredValue: value,
        consideredType: typeNameOf(value),
      }),
    ],
  };
}

function typeSet(keyword: string, argument: BsonValue, aliases: ReadonlyMap<string, number>): Set<number> {
  if (typeof argument !== 'string' && !Array.isArray(argument))
    throw new CommandError(
      'TypeMismatch',
      `$jsonSchema keyword '${keyword}' must be either a string or an array of strings`,
    );
  const names = Array.isArray(argument) ? argument : [argument];
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string')
      throw new CommandError('TypeMismatch', `$jsonSchema keyword '${keyword}' array elements must be strings`);
    if (name === 'integer')
      throw new CommandError('FailedToParse', "$jsonSchema type 'integer' is not currently supported.");
    if (seen.has(name))
      throw new CommandError('FailedToParse', `$jsonSchema keyword '${keyword}' has duplicate value: ${name}`);
    seen.add(name);
  }
  const types = new Set<number>();
  for (const name of seen) {
    if (name === NUMBER_ALIAS) {
      for (const type of NUMBER_TYPES) types.add(type);
      continue;
    }
    const type = aliases.get(name);
    if (type === undefined) throw new CommandError('BadValue', `Unknown type name alias: ${name}`);
    types.add(type);
  }
  if (types.size === 0)
    throw new CommandError('FailedToParse', `$jsonSchema keyword '${keyword}' must name at least one type`);
  return types;
}

export function patternRule(argument: BsonValue): SchemaRule {
  if (typeof argument !== 'string')
    throw new CommandError('TypeMismatch', "$jsonSchema keyword 'pattern' must be a string");
  const regex = schemaRegex(argument);
  return restrictedRule(
    [BsonType.string],
    (value) => regex.test(value as string),
    (value) => [
      keywordDetails('pattern', argument, { reason: 'regular expression did not match', consideredValue: value }),
    ],
  );
}

export function stringLengthRule(keyword: 'minLength' | 'maxLength', argument: BsonValue): SchemaRule {
  const limit = nonNegativeInteger(keyword, argument);
  // Lengths count code points, as mongod counts UTF-8 characters.
  const length = (value: BsonValue): number => [...(value as string)].length;
  return restrictedRule(
    [BsonType.string],
    (value) => (keyword === 'minLength' ? length(value) >= limit : length(value) <= limit),
    (value) => [
      keywordDetails(keyword, argument, {
        reason: 'specified string length was not satisfied',
        consideredValue: value,
      }),
    ],
  );
}

function numberArgument(keyword: string, argument: BsonValue): BsonNumber | RawValue {
  if (!isBsonNumber(argument))
    throw new CommandError('TypeMismatch', `$jsonSchema keyword '${keyword}' must be a number`);
  return argument;
}

export function multipleOfRule(argument: BsonValue): SchemaRule {
  const divisor = numberArgument('multipleOf', argument);
  const exact = toExact(divisor);
  if ((exact.kind === 'finite' && exact.coefficient <= 0n) || (exact.kind === 'infinity' && exact.negative))
    throw new CommandError('FailedToParse', "$jsonSchema keyword 'multipleOf' must have a positive value");
  return restrictedRule(
    NUMBER_TYPES,
    (value) => isMultipleOf(value as BsonNumber, divisor),
    (value) => [
      keywordDetails('multipleOf', argument, {
        reason: 'considered value is not a multiple of the specified value',
        consideredValue: value,
      }),
    ],
  );
}

/**
 * minimum or maximum with its exclusive flag. The flag is checked first and must come with its bound,
 * as in mongod's translateScalarKeywords.
 */
export function boundRule(
  keyword: 'minimum' | 'maximum',
  argument: BsonValue | undefined,
  exclusiveFlag: BsonValue | undefined,
): SchemaRule | undefined {
  const flagName = keyword === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum';
  if (argument === undefined) {
    if (exclusiveFlag === undefined) return undefined;
    throw new CommandError(
      'FailedToParse',
      `$jsonSchema keyword '${keyword}' must be a present if ${flagName} is present`,
    );
  }
  if (exclusiveFlag !== undefined && typeof exclusiveFlag !== 'boolean')
    throw new CommandError('TypeMismatch', `$jsonSchema keyword '${flagName}' must be a boolean`);
  const bound = numberArgument(keyword, argument);
  const exclusive = exclusiveFlag === true;
  const specifiedAs: BsonDoc = new Map([[keyword, argument]]);
  if (exclusiveFlag !== undefined) specifiedAs.set(flagName, exclusiveFlag);
  return restrictedRule(
    NUMBER_TYPES,
    (value) => withinBound(value as BsonNumber, bound, keyword, exclusive),
    (value) => [details({ operatorName: keyword, specifiedAs, reason: 'comparison failed', consideredValue: value })],
  );
}

export function enumRule(argument: BsonValue): SchemaRule {
  if (!Array.isArray(argument))
    throw new CommandError(
      'TypeMismatch',
      `$jsonSchema keyword 'enum' must be an array, but found an element of type ${typeNameOf(argument)}`,
    );
  if (argument.length === 0)
    throw new CommandError('FailedToParse', "$jsonSchema keyword 'enum' cannot be an empty array");
  if (firstDuplicate(argument) !== undefined)
    throw new CommandError('FailedToParse', "$jsonSchema keyword 'enum' array cannot contain duplicate values.");
  return {
    matches: (value) => argument.some((allowed) => sameValue(allowed, value)),
    explain: (value) => [
      keywordDetails('enum', argument, { reason: 'value was not found in enum', consideredValue: value }),
    ],
  };
}
