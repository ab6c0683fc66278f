// createIndexes specs checked and normalised the way mongod 8.0 does it: every option is kept as given
// (key values such as 'hashed', -1.0 or NumberLong(1) included); mongod's own rewrites are applied —
// `v` added, the collection's collation inherited, text and 2dsphere specs completed, and the fields
// reordered to {v, unique, hidden, prepareUnique, key, name, ...rest}. Errors carry mongod's codes and
// messages, including the "Error in specification ... :: caused by ::" wrapping.
import { encodeDocument } from '../bson/encode.js';
import { formatValue } from '../bson/format.js';
import { isBsonNumber } from '../bson/numeric.js';
import { Double, Int32, typeAlias, typeOf, type BsonDoc, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import { compileFilter } from '../query/matcher.js';
import { normaliseCollation } from './collation-spec.js';
import type { Collection } from './collection.js';
import { fixTextIndexSpec } from './text-index-spec.js';
import { numberOption } from './writer.js';

export const ID_INDEX_NAME = '_id_';
export const MAX_INDEXES = 64;

const ALLOWED_FIELDS = new Set([
  '2dsphereIndexVersion',
  'background',
  'bits',
  'clustered',
  'coarsestIndexedLevel',
  'collation',
  'default_language',
  'dropDups',
  'expireAfterSeconds',
  'finestIndexedLevel',
  'hidden',
  'key',
  'language_override',
  'max',
  'min',
  'name',
  'ns',
  'originalSpec',
  'partialFilterExpression',
  'prepareUnique',
  'sparse',
  'storageEngine',
  'textIndexVersion',
  'unique',
  'v',
  'weights',
  'wildcardProjection',
]);
const ID_INDEX_FIELDS = new Set(['collation', 'name', 'v', 'key', 'ns', '_id']);
const BOOLEAN_FIELDS = new Set(['background', 'unique', 'sparse', 'dropDups', 'prepareUnique', 'clustered']);
const NUMERIC_FIELDS = new Set([
  '2dsphereIndexVersion',
  'textIndexVersion',
  'bits',
  'min',
  'max',
  'coarsestIndexedLevel',
  'finestIndexedLevel',
]);
const KNOWN_PLUGINS = new Set(['2d', '2dsphere', 'text', 'hashed', 'wildcard']);
const LEADING_FIELDS = ['v', 'unique', 'hidden', 'prepareUnique', 'key', 'name'];
const DROPPED_FIELDS = new Set(['_id', 'dropDups', 'ns']);
const TWO_D_SPHERE_INDEX_VERSION = 3;

/** What a spec is checked against: the target collection's default collation and whether it is capped. */
export interface IndexTarget {
  readonly ns: string;
  readonly collation?: BsonDoc;
  readonly capped: boolean;
}

export function indexTargetOf(ns: string, collection: Collection | undefined): IndexTarget {
  const collation = collection?.options.get('collation');
  return { ns, collation: collation instanceof Map ? collation : undefined, capped: collection?.isCapped ?? false };
}

/** The spec of entry `position` of createIndexes.indexes, checked and in the form mongod stores. */
export function prepareIndexSpec(raw: BsonValue, position: number, target: IndexTarget): BsonDoc {
  if (!(raw instanceof Map))
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'createIndexes.indexes.${position}' is the wrong type '${typeName(raw)}', expected type 'object'`,
    );
  checkTtlOption(raw);
  const validated = withContext(raw, () => validateIndexSpec(raw));
  const name = validated.get('name') as string;
  if (name === '*') throw new CommandError('BadValue', "The index name '*' is not valid.");
  const key = validated.get('key') as BsonDoc;
  if (isIdKeyPattern(key) || name === ID_INDEX_NAME) validateIdIndexSpec(validated);
  withContext(validated, () => checkCreatable(validated, target));
  return fieldsInStoredOrder(completedForPlugin(withCollation(validated, target)));
}

/** The spec without the fields an index spec may not have (createIndexes' ignoreUnknownIndexOptions). */
export function withoutUnknownIndexOptions(spec: BsonDoc): BsonDoc {
  return new Map([...spec].filter(([name]) => ALLOWED_FIELDS.has(name)));
}

/** True for {_id: 1} (any numeric 1), the key of the _id index. */
export function isIdKeyPattern(key: BsonDoc): boolean {
  if (key.size !== 1 || !key.has('_id')) return false;
  const value = numberOption(key.get('_id'));
  return value !== undefined && Math.trunc(value) === 1;
}

/** mongod's IndexNames::findPluginName: the first string value, or 'wildcard' for a $** field. */
export function indexPluginName(key: BsonDoc): string {
  for (const [field, value] of key) {
    if (typeof value === 'string') return value;
    if (field === '$**' || field.endsWith('.$**')) return 'wildcard';
  }
  return '';
}

function withContext<T>(spec: BsonDoc, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    throw new CommandError(error.code, `Error in specification ${formatValue(spec)} :: caused by :: ${error.message}`);
  }
}

// Runs before any other check, so its messages show the spec exactly as sent.
function checkTtlOption(spec: BsonDoc): void {
  const expireAfterSeconds = spec.get('expireAfterSeconds');
  const key = spec.get('key');
  if (expireAfterSeconds === undefined || !(key instanceof Map)) return;
  if (key.size !== 1)
    throw new CommandError(
      'CannotCreateIndex',
      `TTL indexes are single-field indexes, compound indexes do not support TTL. Index spec: ${formatValue(spec)}`,
    );
  const problem = expireAfterSecondsProblem(expireAfterSeconds);
  if (problem)
    throw new CommandError('CannotCreateIndex', `. Index spec: ${formatValue(spec)} :: caused by :: ${problem}`);
}

/** Why `value` cannot be a TTL index's expireAfterSeconds (mongod's secondary-index rules), if it cannot. */
export function expireAfterSecondsProblem(value: BsonValue): string | undefined {
  if (!isBsonNumber(value))
    return `TTL index 'expireAfterSeconds' option must be numeric, but received a type of '${typeName(value)}'`;
  const seconds = numberOption(value) ?? NaN;
  if (Number.isNaN(seconds)) return "TTL index 'expireAfterSeconds' option must not be NaN";
  const whole = Math.trunc(seconds);
  if (whole > 2 ** 31 - 1 || whole < -(2 ** 31))
    return "TTL index 'expireAfterSeconds' must be within the range of a 32-bit integer";
  if (whole < 0) return "TTL index 'expireAfterSeconds' option cannot be less than 0";
  return undefined;
}

function validateIndexSpec(spec: BsonDoc): BsonDoc {
  for (const name of spec.keys())
    if (!ALLOWED_FIELDS.has(name))
      throw new CommandError(
        'InvalidIndexSpecificationOption',
        `The field '${name}' is not valid for an index specification. Specification: ${formatValue(spec)}`,
      );
  let version = 2;
  for (const [name, value] of spec) version = checkField(spec, name, value) ?? version;
  const key = spec.get('key');
  if (!(key instanceof Map))
    throw new CommandError('FailedToParse', "The 'key' field is a required property of an index specification");
  if (!spec.has('name'))
    throw new CommandError('FailedToParse', "The 'name' field is a required property of an index specification");
  if (spec.has('collation') && version < 2)
    throw new CommandError(
      'CannotCreateIndex',
      `Invalid index specification ${formatValue(spec)}; cannot create an index with the 'collation' option and v=${version}`,
    );
  if (spec.has('weights') && indexPluginName(key) !== 'text')
    throw new CommandError(
      'CannotCreateIndex',
      `Invalid index specification ${formatValue(spec)}; the field 'weights' can only be specified with text indexes`,
    );
  if (isTruthy(spec.get('unique')) && isTruthy(spec.get('prepareUnique')))
    throw new CommandError(
      'CannotCreateIndex',
      `Invalid index specification ${formatValue(spec)}; cannot create an index with the 'unique' option and the 'prepareUnique' option`,
    );
  const validated: BsonDoc = new Map([...spec].filter(([name]) => name !== 'ns'));
  if (!validated.has('v')) validated.set('v', new Int32(version));
  return validated;
}

function wrongType(name: string, what: string, value: BsonValue): CommandError {
  return new CommandError('TypeMismatch', `The field '${name}' must be ${what}, but got ${typeName(value)}`);
}

/** Checks one field; returns the index version when the field is `v`. */
function checkField(spec: BsonDoc, name: string, value: BsonValue): number | undefined {
  if (name === 'key') {
    if (!(value instanceof Map)) throw wrongType(name, 'an object', value);
    validateKeyPattern(value, spec);
  } else if (name === 'name') {
    if (typeof value !== 'string') throw wrongType(name, 'a string', value);
  } else if (name === 'hidden') {
    // mongod names the wrong field in this message; kept as it is.
    if (typeof value !== 'boolean')
      throw new CommandError('TypeMismatch', `The field 'name' must be a bool, but got ${typeName(value)}`);
  } else if (name === 'v') {
    return checkedVersion(spec, value);
  } else if (name === 'collation' || name === 'partialFilterExpression') {
    if (!(value instanceof Map)) throw wrongType(name, 'an object', value);
    if (name === 'collation' && value.size === 0)
      throw new CommandError('BadValue', "The field 'collation' cannot be an empty object.");
    if (name === 'partialFilterExpression') compileFilter(value);
  } else if (name === 'wildcardProjection') {
    checkWildcardProjection(spec, value);
  } else if (name === 'weights') {
    if (!(value instanceof Map) && typeof value !== 'string') throw wrongType(name, 'an object', value);
  } else if (BOOLEAN_FIELDS.has(name)) {
    if (typeof value !== 'boolean' && !isBsonNumber(value))
      throw new CommandError(
        'TypeMismatch',
        `The field '${name} has value ${name}: ${formatValue(value)}, which is not convertible to bool`,
      );
  } else if (name === 'default_language' || name === 'language_override') {
    if (typeof value !== 'string') throw wrongType(name, 'a string', value);
  } else if (NUMERIC_FIELDS.has(name)) {
    if (!isBsonNumber(value)) throw wrongType(name, 'a number', value);
  } else if (name === 'storageEngine') {
    if (!(value instanceof Map))
      throw new CommandError('CannotCreateIndex', '"storageEngine" options must be a document if present');
    if (value.size === 0)
      throw new CommandError(
        'CannotCreateIndex',
        'Empty "storageEngine" options are invalid. Please remove the field or include valid options.',
      );
  }
  return undefined;
}

function checkedVersion(spec: BsonDoc, value: BsonValue): number {
  if (!isBsonNumber(value))
    throw new CommandError('TypeMismatch', `The field 'v' must be a number, but got ${typeName(value)}`);
  const version = numberOption(value) ?? NaN;
  if (!Number.isInteger(version) || Math.abs(version) > 2 ** 31 - 1)
    throw new CommandError(
      'BadValue',
      `Index version must be representable as a 32-bit integer, but got ${formatValue(value)}`,
    );
  if (version !== 1 && version !== 2)
    throw new CommandError(
      'CannotCreateIndex',
      `Invalid index specification ${formatValue(spec)}; cannot create an index with v=${version}`,
    );
  return version;
}

function checkWildcardProjection(spec: BsonDoc, value: BsonValue): void {
  const key = spec.get('key');
  if (!(key instanceof Map) || indexPluginName(key) !== 'wildcard')
    throw new CommandError('BadValue', "The field 'wildcardProjection' is only allowed in 'wildcard' indexes");
  if (!(value instanceof Map))
    throw new CommandError(
      'TypeMismatch',
      `The field 'wildcardProjection' must be a non-empty object, but got ${typeName(value)}`,
    );
  if (!key.has('$**'))
    throw new CommandError(
      'FailedToParse',
      `The field 'wildcardProjection' is only allowed when 'key' is {"$**": ±1} or {"$**": "columnstore"}`,
    );
  if (value.size === 0)
    throw new CommandError('FailedToParse', "The 'wildcardProjection' field can't be an empty object");
}

function validateKeyPattern(key: BsonDoc, spec: BsonDoc): void {
  const fail = (message: string): never => {
    throw new CommandError('CannotCreateIndex', message);
  };
  if (encodeDocument(key).length > 2048) fail('Index key pattern too large.');
  if (key.size === 0) fail('Index keys cannot be empty.');
  const plugin = indexPluginName(key);
  if (plugin === 'geoHaystack') fail('GeoHaystack indexes cannot be created in version 5.0 and above');
  if (plugin && !KNOWN_PLUGINS.has(plugin)) fail(`Unknown index plugin '${plugin}'`);
  for (const [field, value] of key) {
    if (isBsonNumber(value)) {
      const number = numberOption(value) ?? NaN;
      if (Number.isNaN(number)) fail('Values in the index key pattern cannot be NaN.');
      if (number === 0) fail('Values in the index key pattern cannot be 0.');
    } else if (typeof value === 'string') {
      if (plugin !== value) fail("Can't use more than one index plugin for a single index.");
      if (value === 'wildcard')
        fail("The key pattern value for an 'wildcard' index must be a non-zero number, not a string.");
    } else {
      fail(
        `Values in v:2 index key pattern cannot be of type ${typeName(value)}. Only numbers > 0, numbers < 0, and strings are allowed.`,
      );
    }
    checkKeyField(field, value, plugin);
  }
  for (const [field, value] of key) {
    if (value === '') fail('Values in the index key pattern cannot be empty strings');
    if (plugin === 'wildcard' && field === '$**' && key.size > 1 && !spec.has('wildcardProjection'))
      fail("Compound wildcard indexes on all fields must also specify 'wildcardProjection' option");
  }
}

function checkKeyField(field: string, value: BsonValue, plugin: string): void {
  const fail = (message: string): never => {
    throw new CommandError('CannotCreateIndex', message);
  };
  if (field === '') fail('Index keys cannot be an empty field.');
  if (field === '$**' && (isBsonNumber(value) || value === 'text')) return;
  if (field === '_fts' && value !== 'text') fail("Index key contains an illegal field name: '_fts'");
  const parts = field.split('.');
  parts.forEach((part, i) => {
    if (part === '') fail('Index keys cannot contain an empty field.');
    if (!part.startsWith('$')) return;
    const dbRef = i > 0 && (part === '$db' || part === '$id' || part === '$ref');
    const wildcard = i === parts.length - 1 && part === '$**' && plugin === 'wildcard';
    if (!dbRef && !wildcard) fail("Index key contains an illegal field name: field name starts with '$'.");
  });
}

function validateIdIndexSpec(spec: BsonDoc): void {
  for (const name of spec.keys())
    if (!ID_INDEX_FIELDS.has(name))
      throw new CommandError(
        'InvalidIndexSpecificationOption',
        `The field '${name}' is not valid for an _id index specification. Specification: ${formatValue(spec)}`,
      );
  const key = spec.get('key') as BsonDoc;
  if (!isIdKeyPattern(key) || numberOption(key.get('_id')) !== 1)
    throw new CommandError(
      'BadValue',
      `The field 'key' for an _id index must be {_id: 1}, but got ${formatValue(key)}`,
    );
}

// The checks mongod makes when the index catalog accepts the spec (IndexCatalog::_isSpecOk).
function checkCreatable(spec: BsonDoc, target: IndexTarget): void {
  const fail = (message: string): never => {
    throw new CommandError('CannotCreateIndex', message);
  };
  const plugin = indexPluginName(spec.get('key') as BsonDoc);
  if (spec.get('name') === '') fail('index name cannot be empty');
  if (spec.has('partialFilterExpression') && isTruthy(spec.get('sparse')))
    fail('cannot mix "partialFilterExpression" and "sparse" options');
  if (plugin === 'hashed' && isTruthy(spec.get('unique')))
    fail('Currently hashed indexes cannot guarantee uniqueness. Use a regular index.');
  if (plugin === 'wildcard' && isTruthy(spec.get('unique')))
    fail("Index type 'wildcard' does not support the unique option");
  if (plugin === 'wildcard' && spec.has('expireAfterSeconds')) fail("Index type 'wildcard' cannot be a TTL index");
  if (target.capped && spec.has('expireAfterSeconds')) fail('Cannot create TTL index on a capped collection');
}

function withCollation(spec: BsonDoc, target: IndexTarget): BsonDoc {
  const given = spec.get('collation');
  if (given instanceof Map) {
    const full = normaliseCollation(given);
    const out: BsonDoc = new Map([...spec].filter(([name]) => name !== 'collation'));
    if (full) out.set('collation', full);
    return out;
  }
  if (!target.collation || numberOption(spec.get('v')) !== 2) return spec;
  return new Map([...spec, ['collation', target.collation]]);
}

function completedForPlugin(spec: BsonDoc): BsonDoc {
  const plugin = indexPluginName(spec.get('key') as BsonDoc);
  if (plugin === 'text') return fixTextIndexSpec(spec);
  if (plugin === '2dsphere' && !spec.has('2dsphereIndexVersion'))
    return new Map([...spec, ['2dsphereIndexVersion', new Int32(TWO_D_SPHERE_INDEX_VERSION)]]);
  return spec;
}

function fieldsInStoredOrder(spec: BsonDoc): BsonDoc {
  const key = spec.get('key') as BsonDoc;
  const isId = isIdKeyPattern(key);
  const stored: BsonDoc = new Map([['v', new Int32(numberOption(spec.get('v')) ?? 2)]]);
  for (const flag of ['unique', 'hidden', 'prepareUnique']) if (isTruthy(spec.get(flag))) stored.set(flag, true);
  stored.set('key', isId ? new Map([['_id', new Int32(1)]]) : key);
  stored.set('name', isId ? ID_INDEX_NAME : (spec.get('name') as string));
  for (const [name, value] of spec)
    if (!LEADING_FIELDS.includes(name) && !DROPPED_FIELDS.has(name)) stored.set(name, value);
  return stored;
}

/** The index specs listIndexes shows, the clustered index (which has no entry of its own) first. */
export function listedIndexSpecs(collection: Collection): BsonDoc[] {
  const specs = collection.indexes.list.map((index) => index.spec);
  const clustered = collection.options.get('clusteredIndex');
  if (!(clustered instanceof Map)) return specs;
  const listed: BsonDoc = new Map(clustered);
  const collation = collection.options.get('collation');
  if (collation instanceof Map) listed.set('collation', collation);
  const expireAfterSeconds = collection.options.get('expireAfterSeconds');
  if (expireAfterSeconds !== undefined) listed.set('expireAfterSeconds', expireAfterSeconds);
  listed.set('clustered', true);
  return [listed, ...specs];
}

/** BSON's truthiness of an option value (mongod's BSONElement::trueValue). */
export function isTruthy(value: BsonValue | undefined): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (isBsonNumber(value)) return (numberOption(value) ?? 0) !== 0;
  return true;
}

export function typeName(value: BsonValue): string {
  return typeAlias[typeOf(value)] ?? 'unknown';
}

type ListedType = 'int' | 'bool' | 'double' | 'as is';

// listIndexes answers through mongod's NewIndexSpec IDL type: fields in its order, safeInt/safeBool/
// safeDouble options converted to int, bool and double.
const LISTED_FIELDS: readonly [string, ListedType][] = [
  ['v', 'int'],
  ['key', 'as is'],
  ['name', 'as is'],
  ['ns', 'as is'],
  ['background', 'bool'],
  ['unique', 'bool'],
  ['hidden', 'bool'],
  ['partialFilterExpression', 'as is'],
  ['sparse', 'bool'],
  ['expireAfterSeconds', 'int'],
  ['storageEngine', 'as is'],
  ['weights', 'as is'],
  ['default_language', 'as is'],
  ['language_override', 'as is'],
  ['textIndexVersion', 'int'],
  ['2dsphereIndexVersion', 'int'],
  ['bits', 'int'],
  ['min', 'double'],
  ['max', 'double'],
  ['bucketSize', 'double'],
  ['collation', 'as is'],
  ['wildcardProjection', 'as is'],
  ['coarsestIndexedLevel', 'int'],
  ['finestIndexedLevel', 'int'],
  ['dropDups', 'bool'],
  ['originalSpec', 'as is'],
  ['clustered', 'bool'],
  ['prepareUnique', 'bool'],
];

/** An index spec as listIndexes shows it. */
export function listedForm(spec: BsonDoc): BsonDoc {
  const listed: BsonDoc = new Map();
  for (const [name, type] of LISTED_FIELDS) {
    const value = spec.get(name);
    if (value === undefined) continue;
    if (type === 'bool') listed.set(name, isTruthy(value));
    else if (type === 'int') listed.set(name, new Int32(Math.trunc(numberOption(value) ?? 0)));
    else if (type === 'double') listed.set(name, new Double(numberOption(value) ?? 0));
    else listed.set(name, value);
  }
  return listed;
}
