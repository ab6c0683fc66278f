// The options of a create command checked as mongod 8.0 checks them and written in the form and order
// mongod stores them (CollectionOptions::toBSON), which is what listCollections and the create change
// event show: capped sizes as int or long, a full collation, the clustered index spec completed.
import { formatValue } from '../bson/format.js';
import { Decimal128, Double, Int32, Long, type BsonDoc, type BsonValue } from '../bson/values.js';
import { isLong } from '../bson/numeric.js';
import { CommandError } from '../errors.js';
import { compileFilter } from '../query/matcher.js';
import { normaliseCollation } from '../storage/collation-spec.js';
import { ID_INDEX_NAME, isIdKeyPattern, isTruthy, typeName } from '../storage/index-specs.js';
import { idIndexSpec } from '../storage/indexes.js';
import { rejectUnknownFields } from './strict-fields.js';

const CREATE_FIELDS = [
  'capped',
  'autoIndexId',
  'idIndex',
  'size',
  'max',
  'storageEngine',
  'validator',
  'validationLevel',
  'validationAction',
  'indexOptionDefaults',
  'viewOn',
  'pipeline',
  'collation',
  'changeStreamPreAndPostImages',
  'timeseries',
  'clusteredIndex',
  'expireAfterSeconds',
  'encryptedFields',
  'temp',
];
const MAX_CAPPED_SIZE = 1n << 50n;
const MAX_CAPPED_DOCS = 1n << 31n;
const VALIDATION_LEVELS = ['off', 'strict', 'moderate'];
const VALIDATION_ACTIONS = ['error', 'warn'];

export interface CreateRequest {
  /** The options as mongod stores them (and listCollections shows them). */
  readonly options: BsonDoc;
  /** The _id index spec, when the collection has one. */
  readonly idIndex?: BsonDoc;
  readonly note?: string;
}

export function parseCreateRequest(body: BsonDoc, ns: string): CreateRequest {
  rejectUnknownFields(body, 'create', CREATE_FIELDS);
  if (givenValue(body, 'timeseries') !== undefined)
    throw new CommandError('CommandNotSupported', 'timeseries collections are not supported by the Ferry sandbox');
  if (givenValue(body, 'encryptedFields') !== undefined)
    throw new CommandError(
      'CommandNotSupported',
      'encryptedFields (Queryable Encryption) are not supported by the Ferry sandbox',
    );
  if (givenValue(body, 'temp') !== undefined)
    throw new CommandError('InvalidOptions', "the 'temp' field is an invalid option");
  const capped = boolish(body, 'capped');
  const size = cappedSize(body, 'size', 'create');
  const max = cappedMax(body, 'max', 'create');
  const clustered = clusteredIndexOption(givenValue(body, 'clusteredIndex'));
  if (clustered) checkClusteredCreate(size, max, capped);
  else {
    if (capped && size === undefined)
      throw new CommandError('InvalidOptions', "the 'size' field is required when 'capped' is true");
    if ((size !== undefined || max !== undefined) && !capped)
      throw new CommandError(
        'InvalidOptions',
        "the 'capped' field needs to be true when either the 'size' or 'max' fields are present",
      );
  }
  const viewOn = givenValue(body, 'viewOn');
  const pipeline = givenValue(body, 'pipeline');
  if (pipeline !== undefined && viewOn === undefined)
    throw new CommandError('InvalidOptions', "'pipeline' requires 'viewOn' to also be specified");
  const expireAfterSeconds = givenValue(body, 'expireAfterSeconds');
  if (expireAfterSeconds !== undefined && !clustered)
    throw new CommandError(
      'InvalidOptions',
      "'expireAfterSeconds' is only supported on time-series collections or when the 'clusteredIndex' option is specified",
    );
  const collation = givenValue(body, 'collation');
  const fullCollation = collation === undefined ? undefined : normaliseCollation(documentField('collation', collation));
  if (viewOn !== undefined) return { options: viewOptions(body, viewOn, pipeline, fullCollation) };
  const options: BsonDoc = new Map();
  if (capped) {
    options.set('capped', true);
    options.set('size', storedNumber(size ?? 0n));
    if (max !== undefined) options.set('max', storedCappedMax(max));
  }
  const autoIndexId = givenValue(body, 'autoIndexId');
  if (autoIndexId !== undefined) {
    if (!isTruthy(autoIndexId))
      throw new CommandError(
        50001,
        `autoIndexId:false is not allowed for collection ${ns} because it can be replicated`,
      );
    options.set('autoIndexId', true);
  }
  setPreAndPostImages(options, givenValue(body, 'changeStreamPreAndPostImages'));
  setStorageEngineOptions(options, givenValue(body, 'storageEngine'), givenValue(body, 'indexOptionDefaults'));
  setValidation(options, body, 'create');
  if (fullCollation) options.set('collation', fullCollation);
  if (clustered) options.set('clusteredIndex', clustered);
  if (expireAfterSeconds !== undefined)
    options.set('expireAfterSeconds', clusteredExpireAfterSeconds(expireAfterSeconds));
  const idIndex = clustered ? undefined : idIndexFor(givenValue(body, 'idIndex'), fullCollation);
  if (clustered && givenValue(body, 'idIndex') !== undefined)
    throw new CommandError('InvalidOptions', "The 'clusteredIndex' option is not supported with the 'idIndex' option");
  return {
    options,
    idIndex,
    ...(autoIndexId !== undefined
      ? { note: 'The autoIndexId option is deprecated and will be removed in a future release' }
      : {}),
  };
}

/** A command field's value; null counts as not given, as in mongod's IDL parsers. */
export function givenValue(body: BsonDoc, field: string): BsonValue | undefined {
  const value = body.get(field);
  return value === null ? undefined : value;
}

function viewOptions(
  body: BsonDoc,
  viewOn: BsonValue,
  pipeline: BsonValue | undefined,
  collation: BsonDoc | undefined,
): BsonDoc {
  if (typeof viewOn !== 'string')
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'create.viewOn' is the wrong type '${typeName(viewOn)}', expected type 'string'`,
    );
  if (viewOn === '') throw new CommandError('BadValue', "'viewOn' cannot be empty");
  const idIndex = body.get('idIndex');
  if (idIndex instanceof Map)
    throw new CommandError('InvalidOptions', `'idIndex' is not allowed with 'viewOn': ${formatValue(idIndex)}`);
  for (const field of ['capped', 'validator', 'changeStreamPreAndPostImages', 'clusteredIndex'])
    if (body.has(field) && isTruthy(body.get(field)))
      throw new CommandError('InvalidOptions', `option not supported on a view: ${field}`);
  const options: BsonDoc = new Map<string, BsonValue>([
    ['viewOn', viewOn],
    ['pipeline', pipelineStages(pipeline ?? [], 'create')],
  ]);
  if (collation) options.set('collation', collation);
  return options;
}

/** A view pipeline: an array of documents. */
export function pipelineStages(value: BsonValue, command: string): BsonValue[] {
  if (!Array.isArray(value))
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${command}.pipeline' is the wrong type '${typeName(value)}', expected type 'array'`,
    );
  value.forEach((stage, i) => {
    if (!(stage instanceof Map))
      throw new CommandError(
        'TypeMismatch',
        `BSON field '${command}.pipeline.${i}' is the wrong type '${typeName(stage)}', expected type 'object'`,
      );
  });
  return value;
}

function boolish(body: BsonDoc, field: string): boolean {
  const value = body.get(field);
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean' && !isNumber(value))
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'create.${field}' is the wrong type '${typeName(value)}', expected types '[bool, long, int, decimal, double]'`,
    );
  return isTruthy(value);
}

function isNumber(value: BsonValue): value is Int32 | Double | Long | Decimal128 {
  return value instanceof Int32 || value instanceof Double || isLong(value) || value instanceof Decimal128;
}

/** mongod's safeNumberLong: doubles truncate, NaN is 0 and infinities saturate. */
function safeInt64(value: Int32 | Double | Long | Decimal128): bigint {
  if (isLong(value)) return value.toBigInt();
  const number = value instanceof Decimal128 ? Number(value.toString()) : value.value;
  if (Number.isNaN(number)) return 0n;
  if (number >= 2 ** 63) return (1n << 63n) - 1n;
  if (number <= -(2 ** 63)) return -(1n << 63n);
  return BigInt(Math.trunc(number));
}

function numberField(body: BsonDoc, field: string, command: string): bigint | undefined {
  const value = body.get(field);
  if (value === undefined || value === null) return undefined;
  if (!isNumber(value))
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${command}.${field}' is the wrong type '${typeName(value)}', expected types '[double, int, long, decimal]'`,
    );
  return safeInt64(value);
}

/** A capped collection's size in bytes (create.size, collMod.cappedSize): 1 byte to 1 PB. */
export function cappedSize(body: BsonDoc, field: string, command: string): bigint | undefined {
  const size = numberField(body, field, command);
  if (size === undefined) return undefined;
  if (size < 1n) throw new CommandError('BadValue', `BSON field '${field}' value must be >= 1, actual value '${size}'`);
  if (size > MAX_CAPPED_SIZE)
    throw new CommandError(
      'BadValue',
      `BSON field '${field}' value must be <= ${MAX_CAPPED_SIZE}, actual value '${size}'`,
    );
  return size;
}

/** A capped collection's document limit (create.max, collMod.cappedMax); zero or less means none. */
export function cappedMax(body: BsonDoc, field: string, command: string): bigint | undefined {
  const max = numberField(body, field, command);
  if (max !== undefined && max >= MAX_CAPPED_DOCS)
    throw new CommandError(
      'BadValue',
      `BSON field '${field}' value must be < ${MAX_CAPPED_DOCS}, actual value '${max}'`,
    );
  return max;
}

/** A number as mongod's appendNumber writes it: an int when it fits, else a long. */
export function storedNumber(value: bigint): Int32 | Long {
  return value >= -(1n << 31n) && value < 1n << 31n ? new Int32(Number(value)) : Long.fromBigInt(value);
}

/** The stored document limit: zero or less is "no limit", kept as 2^31-1. */
export function storedCappedMax(max: bigint): Int32 | Long {
  return storedNumber(max <= 0n ? MAX_CAPPED_DOCS - 1n : max);
}

function clusteredIndexOption(value: BsonValue | undefined): BsonDoc | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true)
    throw new CommandError(
      5979703,
      "The 'clusteredIndex' legacy format {clusteredIndex: <bool>} is only supported for specific internal collections and vice versa",
    );
  if (!(value instanceof Map)) throw new CommandError(5979702, "'clusteredIndex' has to be a boolean or object.");
  for (const field of value.keys())
    if (!['v', 'key', 'name', 'unique'].includes(field))
      throw new CommandError(40415, `BSON field 'create.clusteredIndex.${field}' is an unknown field.`);
  const key = value.get('key');
  if (key === undefined)
    throw new CommandError(40414, "BSON field 'create.clusteredIndex.key' is missing but a required field");
  if (!value.has('unique'))
    throw new CommandError(40414, "BSON field 'create.clusteredIndex.unique' is missing but a required field");
  if (!isTruthy(value.get('unique')))
    throw new CommandError(5979700, 'The clusteredIndex option requires unique: true to be specified');
  if (!(key instanceof Map) || !isIdKeyPattern(key) || !isNumber(key.get('_id') ?? null))
    throw new CommandError(
      'InvalidIndexSpecificationOption',
      'The clusteredIndex option is only supported for key: {_id: 1}',
    );
  const name = value.get('name');
  return new Map<string, BsonValue>([
    ['v', new Int32(Number(numberField(value, 'v', 'create.clusteredIndex') ?? 2n))],
    ['key', key],
    ['name', typeof name === 'string' ? name : ID_INDEX_NAME],
    ['unique', true],
  ]);
}

function checkClusteredCreate(size: bigint | undefined, max: bigint | undefined, capped: boolean): void {
  if (size !== undefined)
    throw new CommandError(
      6049200,
      "'size' field for capped collections is not allowed on clustered collections. Did you mean 'capped: true' with 'expireAfterSeconds'?",
    );
  if (max !== undefined)
    throw new CommandError(
      6049204,
      "'max' field for capped collections is not allowed on clustered collections. Did you mean 'capped: true' with 'expireAfterSeconds'?",
    );
  if (capped)
    throw new CommandError(
      6127800,
      "Clustered capped collection only available with 'enableTestCommands' server parameter",
    );
}

/** A clustered collection's TTL, kept as a long; negative values are refused. */
export function clusteredExpireAfterSeconds(value: BsonValue): Long {
  if (!isNumber(value))
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'expireAfterSeconds' is the wrong type '${typeName(value)}', expected types '[long, int, decimal, double]'`,
    );
  const seconds = safeInt64(value);
  if (seconds < 0n)
    throw new CommandError('InvalidOptions', "TTL index 'expireAfterSeconds' option cannot be less than 0");
  return Long.fromBigInt(seconds);
}

function setPreAndPostImages(options: BsonDoc, value: BsonValue | undefined): void {
  if (value === undefined) return;
  if (preAndPostImagesEnabled(value)) options.set('changeStreamPreAndPostImages', new Map([['enabled', true]]));
}

/** Reads {enabled: <bool>} (create and collMod's changeStreamPreAndPostImages). */
export function preAndPostImagesEnabled(value: BsonValue): boolean {
  if (!(value instanceof Map))
    throw new CommandError('InvalidOptions', "'changeStreamPreAndPostImages' option must be a document");
  for (const field of value.keys())
    if (field !== 'enabled')
      throw new CommandError(40415, `BSON field 'changeStreamPreAndPostImagesOptions.${field}' is an unknown field.`);
  const enabled = value.get('enabled');
  if (enabled === undefined)
    throw new CommandError(
      40414,
      "BSON field 'changeStreamPreAndPostImagesOptions.enabled' is missing but a required field",
    );
  if (typeof enabled !== 'boolean')
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'changeStreamPreAndPostImagesOptions.enabled' is the wrong type '${typeName(enabled)}', expected type 'bool'`,
    );
  return enabled;
}

function setStorageEngineOptions(
  options: BsonDoc,
  storageEngine: BsonValue | undefined,
  defaults: BsonValue | undefined,
): void {
  if (storageEngine !== undefined) {
    const doc = documentField('storageEngine', storageEngine);
    if (doc.size > 0) options.set('storageEngine', doc);
  }
  if (defaults === undefined) return;
  const doc = documentField('indexOptionDefaults', defaults);
  for (const field of doc.keys())
    if (field !== 'storageEngine')
      throw new CommandError(40415, `BSON field 'create.indexOptionDefaults.${field}' is an unknown field.`);
  const engine = doc.get('storageEngine');
  if (engine !== undefined)
    options.set('indexOptionDefaults', new Map([['storageEngine', documentField('storageEngine', engine)]]));
}

/** Reads validator, validationLevel and validationAction into `options` (create and collMod). */
export function setValidation(options: BsonDoc, body: BsonDoc, command: string): void {
  const validator = givenValue(body, 'validator');
  if (validator !== undefined) {
    const doc = documentField(`${command}.validator`, validator);
    compileFilter(doc);
    if (doc.size > 0) options.set('validator', doc);
    else options.delete('validator');
  }
  for (const [field, allowed] of [
    ['validationLevel', VALIDATION_LEVELS],
    ['validationAction', VALIDATION_ACTIONS],
  ] as const) {
    const value = givenValue(body, field);
    if (value === undefined) continue;
    if (typeof value !== 'string')
      throw new CommandError(
        'TypeMismatch',
        `BSON field '${command}.${field}' is the wrong type '${typeName(value)}', expected type 'string'`,
      );
    if (!allowed.includes(value))
      throw new CommandError(
        'BadValue',
        `Enumeration value '${value}' for field '${command}.${field}' is not a valid value.`,
      );
    options.set(field, value);
  }
}

function documentField(field: string, value: BsonValue): BsonDoc {
  if (!(value instanceof Map))
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${typeName(value)}', expected type 'object'`,
    );
  return value;
}

function idIndexFor(value: BsonValue | undefined, collation: BsonDoc | undefined): BsonDoc {
  const spec = idIndexSpec();
  if (value !== undefined) {
    const given = documentField('create.idIndex', value);
    if (given.size === 0) throw new CommandError('FailedToParse', 'idIndex cannot be empty');
    const key = given.get('key');
    if (!(key instanceof Map) || !isIdKeyPattern(key))
      throw new CommandError(
        'BadValue',
        `The field 'key' for an _id index must be {_id: 1}, but got ${formatValue(key ?? null)}`,
      );
  }
  if (collation) spec.set('collation', collation);
  return spec;
}

const STORED_ORDER = [
  'capped',
  'size',
  'max',
  'autoIndexId',
  'changeStreamPreAndPostImages',
  'storageEngine',
  'indexOptionDefaults',
  'validator',
  'validationLevel',
  'validationAction',
  'collation',
  'clusteredIndex',
  'expireAfterSeconds',
  'viewOn',
  'pipeline',
];

/** Collection options in the order mongod writes them, after a change. */
export function inStoredOrder(options: BsonDoc): BsonDoc {
  const ordered: BsonDoc = new Map();
  for (const name of STORED_ORDER) {
    const value = options.get(name);
    if (value !== undefined) ordered.set(name, value);
  }
  return ordered;
}
