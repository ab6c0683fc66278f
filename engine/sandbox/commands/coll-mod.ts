// collMod: validation rules, capped bounds, pre- and post-images, a clustered collection's TTL, one
// index's options (hidden, expireAfterSeconds, prepareUnique, and unique in mongod's two steps) and a
// view's definition. Everything is checked before anything changes, as mongod parses the whole
// request first; the change is logged as a modify event.
import { formatValue } from '../bson/format.js';
import { Long, type BsonDoc, type BsonValue } from '../bson/values.js';
import { CommandError } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import { logCollMod } from '../storage/ddl-log.js';
import {
  expireAfterSecondsProblem,
  ID_INDEX_NAME,
  isIdKeyPattern,
  isTruthy,
  typeName,
} from '../storage/index-specs.js';
import type { Index } from '../storage/indexes.js';
import { numberOption, type WriteContext } from '../storage/writer.js';
import { isBsonNumber } from '../bson/numeric.js';
import { collectionName } from './args.js';
import {
  cappedMax,
  cappedSize,
  clusteredExpireAfterSeconds,
  givenValue,
  inStoredOrder,
  pipelineStages,
  preAndPostImagesEnabled,
  setValidation,
  storedCappedMax,
  storedNumber,
} from './create-options.js';
import { documentsOf } from './indexes.js';
import { rejectUnknownFields } from './strict-fields.js';
import type { CommandContext, CommandReply, CommandSpec } from './types.js';
import { checkViewDefinition, recordViewDefinition } from './view-definitions.js';
import { writeContextOf } from './write-context.js';

const COLL_MOD_FIELDS = [
  'validator',
  'validationLevel',
  'validationAction',
  'index',
  'viewOn',
  'pipeline',
  'changeStreamPreAndPostImages',
  'expireAfterSeconds',
  'cappedSize',
  'cappedMax',
  'dryRun',
  'collectionUUID',
  'timeseries',
];
const INDEX_FIELDS = [
  'keyPattern',
  'name',
  'hidden',
  'expireAfterSeconds',
  'prepareUnique',
  'unique',
  'forceNonUnique',
];
const VIEW_FIELDS = new Set(['viewOn', 'pipeline', 'collectionUUID', 'dryRun']);

interface IndexChange {
  readonly entry: Index;
  spec: BsonDoc;
  /** The index part of the oplog entry: its name and what changed. */
  readonly logged: BsonDoc;
  /** The options the change replaces (the event's stateBeforeChange.indexOptions). */
  readonly before: BsonDoc;
  readonly reply: CommandReply;
  uniqueRequested: boolean;
  toUnique: boolean;
  prepareUniqueChanged: boolean;
  modifications: number;
}

const collMod: CommandSpec = {
  name: 'collMod',
  write: true,
  run(ctx): CommandReply {
    const name = collectionName(ctx.body, 'collMod');
    rejectUnknownFields(ctx.body, 'collMod', COLL_MOD_FIELDS);
    const ns = `${ctx.db}.${name}`;
    const collection = ctx.sandbox.catalog.get(ctx.db, name);
    if (!collection) {
      const index = ctx.body.get('index');
      if (index instanceof Map && isTruthy(index.get('unique')))
        throw new CommandError('NamespaceNotFound', `ns does not exist for unique index conversion: ${ns}`);
      throw new CommandError('NamespaceNotFound', 'ns does not exist');
    }
    const writeCtx = writeContextOf(ctx);
    ctx.sandbox.writer.checkWritable(ctx.db, writeCtx);
    if (collection.isView) return modifyView(ctx, collection, writeCtx);
    return modifyCollection(ctx, collection, writeCtx);
  },
};

function modifyCollection(ctx: CommandContext, collection: Collection, writeCtx: WriteContext): CommandReply {
  const { body } = ctx;
  const options: BsonDoc = new Map(collection.options);
  const logged: BsonDoc = new Map([['collMod', collection.name]]);
  let modifications = 0;
  applyCappedBounds(body, collection, options, logged);
  const index = indexChange(body, collection);
  modifications += index?.modifications ?? 0;
  if (['validator', 'validationLevel', 'validationAction'].some((field) => present(body, field))) {
    setValidation(options, body, 'collMod');
    for (const field of ['validator', 'validationLevel', 'validationAction'])
      if (present(body, field)) {
        logged.set(field, body.get(field) as BsonValue);
        modifications += 1;
      }
    // Setting any of the three writes the level and action out, with their defaults.
    if (!options.has('validationLevel')) options.set('validationLevel', 'strict');
    if (!options.has('validationAction')) options.set('validationAction', 'error');
  }
  for (const field of ['pipeline', 'viewOn'])
    if (present(body, field)) throw new CommandError('InvalidOptions', `option only supported on a view: ${field}`);
  const images = givenValue(body, 'changeStreamPreAndPostImages');
  if (images !== undefined) {
    const enabled = preAndPostImagesEnabled(images);
    if (enabled) options.set('changeStreamPreAndPostImages', new Map([['enabled', true]]));
    else options.delete('changeStreamPreAndPostImages');
    logged.set('changeStreamPreAndPostImages', new Map([['enabled', enabled]]));
    modifications += 1;
  }
  if (present(body, 'expireAfterSeconds')) {
    applyClusteredTtl(body.get('expireAfterSeconds') as BsonValue, collection, options, logged);
    modifications += 1;
  }
  if (present(body, 'timeseries'))
    throw new CommandError('InvalidOptions', 'option only supported on a time-series collection: timeseries');
  if (index?.prepareUniqueChanged && modifications > 1)
    throw new CommandError('InvalidOptions', 'prepareUnique cannot be combined with any other modification.');
  if (isTruthy(body.get('dryRun'))) return dryRun(collection, index, modifications);
  if (index?.toUnique) checkNoDuplicates(collection, index.entry);

  if (index) applyIndexChange(collection, index, logged);
  const before = collection.options;
  collection.options = inStoredOrder(options);
  const indexBefore = index && index.logged.size > 1 ? index.before : undefined;
  logCollMod(ctx.sandbox.writer, collection, logged, before, indexBefore, writeCtx);
  return index?.reply ?? {};
}

function present(body: BsonDoc, field: string): boolean {
  return givenValue(body, field) !== undefined;
}

function applyCappedBounds(body: BsonDoc, collection: Collection, options: BsonDoc, logged: BsonDoc): void {
  const size = cappedSize(body, 'cappedSize', 'collMod');
  const max = cappedMax(body, 'cappedMax', 'collMod');
  if (size === undefined && max === undefined) return;
  if (!collection.isCapped) throw new CommandError('InvalidOptions', 'Collection must be capped.');
  if (size !== undefined) {
    options.set('size', storedNumber(size));
    logged.set('cappedSize', Long.fromBigInt(size));
  }
  if (max !== undefined) {
    options.set('max', storedCappedMax(max));
    logged.set('cappedMax', Long.fromBigInt(max));
  }
}

function applyClusteredTtl(value: BsonValue, collection: Collection, options: BsonDoc, logged: BsonDoc): void {
  if (!collection.options.has('clusteredIndex'))
    throw new CommandError(
      'InvalidOptions',
      "'expireAfterSeconds' option is only supported on collections clustered by _id",
    );
  if (typeof value === 'string') {
    if (value !== 'off')
      throw new CommandError(
        'InvalidOptions',
        `Invalid string value for the 'clusteredIndex::expireAfterSeconds' option. Got: '${value}'. Accepted value is 'off'`,
      );
    options.delete('expireAfterSeconds');
    logged.set('expireAfterSeconds', value);
    return;
  }
  const seconds = clusteredExpireAfterSeconds(value);
  options.set('expireAfterSeconds', seconds);
  logged.set('expireAfterSeconds', seconds);
}

function indexChange(body: BsonDoc, collection: Collection): IndexChange | undefined {
  const request = givenValue(body, 'index');
  if (request === undefined) return undefined;
  if (!(request instanceof Map))
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'collMod.index' is the wrong type '${typeName(request)}', expected type 'object'`,
    );
  for (const field of request.keys())
    if (!INDEX_FIELDS.includes(field))
      throw new CommandError(40415, `BSON field 'collMod.index.${field}' is an unknown field.`);
  const name = request.get('name');
  const keyPattern = request.get('keyPattern');
  if (name !== undefined && keyPattern !== undefined)
    throw new CommandError('InvalidOptions', 'Cannot specify both key pattern and name.');
  if (name === undefined && keyPattern === undefined)
    throw new CommandError('InvalidOptions', 'Must specify either index name or key pattern.');
  if (!['expireAfterSeconds', 'hidden', 'unique', 'prepareUnique', 'forceNonUnique'].some((f) => request.has(f)))
    throw new CommandError('InvalidOptions', 'no expireAfterSeconds, hidden, unique, or prepareUnique field');
  if (request.has('forceNonUnique'))
    throw new CommandError(
      'CommandNotSupported',
      "collMod 'index.forceNonUnique' is not supported by the Ferry sandbox",
    );
  const expireAfterSeconds = request.get('expireAfterSeconds');
  if (expireAfterSeconds !== undefined) {
    if (collection.isCapped)
      throw new CommandError('InvalidOptions', 'TTL indexes are not supported for capped collections.');
    const problem = expireAfterSecondsProblem(expireAfterSeconds);
    if (problem) throw new CommandError('InvalidOptions', problem);
  }
  const clustered = collection.options.get('clusteredIndex');
  if (request.has('hidden') && clustered instanceof Map && (name === clustered.get('name') || isIdPattern(keyPattern)))
    throw new CommandError(6011800, "The 'hidden' option is not supported for a clusteredIndex");
  const entry = findIndex(collection, name, keyPattern);
  const change: IndexChange = {
    entry,
    spec: entry.spec,
    logged: new Map([['name', entry.name]]),
    before: new Map(),
    reply: {},
    uniqueRequested: false,
    toUnique: false,
    prepareUniqueChanged: false,
    modifications: 0,
  };
  if (expireAfterSeconds !== undefined) changeTtl(change, Math.trunc(numberOption(expireAfterSeconds) ?? 0));
  if (request.has('unique')) changeUnique(change, isTruthy(request.get('unique')));
  if (request.has('hidden')) changeHidden(change, isTruthy(request.get('hidden')), collection);
  if (request.has('prepareUnique')) changePrepareUnique(change, isTruthy(request.get('prepareUnique')));
  return change;
}

function isIdPattern(keyPattern: BsonValue | undefined): boolean {
  return keyPattern instanceof Map && isIdKeyPattern(keyPattern);
}

function findIndex(collection: Collection, name: BsonValue | undefined, keyPattern: BsonValue | undefined): Index {
  if (name !== undefined) {
    if (typeof name !== 'string')
      throw new CommandError(
        'TypeMismatch',
        `BSON field 'collMod.index.name' is the wrong type '${typeName(name)}', expected type 'string'`,
      );
    const entry = collection.indexes.get(name);
    if (!entry) throw new CommandError('IndexNotFound', `cannot find index ${name} for ns ${collection.ns}`);
    return entry;
  }
  if (!(keyPattern instanceof Map))
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'collMod.index.keyPattern' is the wrong type '${typeName(keyPattern ?? null)}', expected type 'object'`,
    );
  const matches = collection.indexes.findByKeyPattern(keyPattern);
  if (matches.length > 1)
    throw new CommandError(
      181,
      `index keyPattern ${formatValue(keyPattern)} matches ${matches.length} indexes, must use index name. Conflicting indexes:${formatValue(matches[0].spec)}, ${formatValue(matches[1].spec)}`,
    );
  if (matches.length === 0)
    throw new CommandError('IndexNotFound', `cannot find index ${formatValue(keyPattern)} for ns ${collection.ns}`);
  return matches[0];
}

/** The spec with `field` removed and, unless `value` is undefined, appended anew (as mongod rewrites it). */
function withOption(spec: BsonDoc, field: string, value: BsonValue | undefined): BsonDoc {
  const out: BsonDoc = new Map([...spec].filter(([name]) => name !== field));
  if (value !== undefined) out.set(field, value);
  return out;
}

function changeTtl(change: IndexChange, seconds: number): void {
  change.modifications += 1;
  const old = change.spec.get('expireAfterSeconds');
  const key = change.spec.get('key') as BsonDoc;
  if (old === undefined) {
    if (isIdKeyPattern(key)) throw new CommandError('InvalidOptions', 'the _id field does not support TTL indexes');
    if (key.size !== 1)
      throw new CommandError(
        'InvalidOptions',
        'TTL indexes are single-field indexes, compound indexes do not support TTL',
      );
  } else if (!isBsonNumber(old)) {
    throw new CommandError('InvalidOptions', 'existing expireAfterSeconds field is not a number');
  }
  const oldSeconds = old === undefined ? undefined : Math.trunc(numberOption(old) ?? 0);
  if (oldSeconds === seconds) return;
  const value = Long.fromNumber(seconds);
  change.spec = withOption(change.spec, 'expireAfterSeconds', value);
  change.logged.set('expireAfterSeconds', value);
  if (oldSeconds !== undefined) {
    change.before.set('expireAfterSeconds', Long.fromNumber(oldSeconds));
    change.reply.expireAfterSeconds_old = Long.fromNumber(oldSeconds);
  }
  change.reply.expireAfterSeconds_new = value;
}

function changeUnique(change: IndexChange, unique: boolean): void {
  change.modifications += 1;
  change.uniqueRequested = unique;
  if (!unique) throw new CommandError('BadValue', 'Cannot make index non-unique');
  if (change.spec.get('unique') === true) return;
  if (change.spec.get('prepareUnique') !== true)
    throw new CommandError(
      'InvalidOptions',
      "Cannot make index unique with 'prepareUnique=false'. Run collMod to set it first.",
    );
  // mongod resets prepareUnique once the index is unique, so listIndexes shows only `unique`.
  change.spec = withOption(withOption(change.spec, 'unique', true), 'prepareUnique', undefined);
  change.logged.set('unique', true);
  change.reply.unique_new = true;
  change.toUnique = true;
}

function changeHidden(change: IndexChange, hidden: boolean, collection: Collection): void {
  change.modifications += 1;
  if (collection.name.startsWith('system.'))
    throw new CommandError('BadValue', "Can't hide index on system collection");
  if (change.entry.name === ID_INDEX_NAME) throw new CommandError('BadValue', "can't hide _id index");
  const old = change.spec.get('hidden') === true;
  if (old === hidden) return;
  change.spec = withOption(change.spec, 'hidden', hidden ? true : undefined);
  change.logged.set('hidden', hidden);
  change.before.set('hidden', old);
  change.reply.hidden_old = old;
  change.reply.hidden_new = hidden;
}

function changePrepareUnique(change: IndexChange, prepareUnique: boolean): void {
  change.modifications += 1;
  // Judged on the index as it was: a unique conversion in the same request has already reset the spec.
  const current = change.entry.spec;
  const old = current.get('prepareUnique') === true;
  if (old === prepareUnique || current.get('unique') === true) return;
  change.spec = withOption(change.spec, 'prepareUnique', prepareUnique ? true : undefined);
  change.logged.set('prepareUnique', prepareUnique);
  change.before.set('prepareUnique', old);
  change.reply.prepareUnique_old = old;
  change.reply.prepareUnique_new = prepareUnique;
  change.prepareUniqueChanged = true;
}

function dryRun(collection: Collection, index: IndexChange | undefined, modifications: number): CommandReply {
  if (!index) throw new CommandError('InvalidOptions', 'dry run mode requires an valid index modification.');
  if (!index.uniqueRequested)
    throw new CommandError('InvalidOptions', 'dry run mode requires an index modification with unique: true.');
  if (modifications > 1)
    throw new CommandError(
      'InvalidOptions',
      'unique: true cannot be combined with any other modification in dry run mode.',
    );
  if (index.toUnique) checkNoDuplicates(collection, index.entry);
  return {};
}

/** A prepareUnique index becomes unique only without duplicates; the error lists them as mongod does. */
function checkNoDuplicates(collection: Collection, entry: Index): void {
  const groups = collection.indexes.duplicateGroups(entry);
  if (groups.length === 0) return;
  throw new CommandError(
    'CannotConvertIndexToUnique',
    'Cannot convert the index to unique. Please resolve conflicting documents before running collMod again.',
    { violations: groups.map((ids) => ({ ids })) },
  );
}

function applyIndexChange(collection: Collection, change: IndexChange, logged: BsonDoc): void {
  if (change.logged.size === 1) return;
  change.entry.spec = change.spec;
  if (change.toUnique || change.prepareUniqueChanged) collection.indexes.rebuild(change.entry, documentsOf(collection));
  logged.set('index', change.logged);
}

function modifyView(ctx: CommandContext, view: Collection, writeCtx: WriteContext): CommandReply {
  for (const field of ctx.body.keys()) {
    if (field === 'collMod' || VIEW_FIELDS.has(field) || !COLL_MOD_FIELDS.includes(field)) continue;
    throw new CommandError('InvalidOptions', `option not supported on a view: ${field}`);
  }
  const viewOn = ctx.body.get('viewOn');
  if (viewOn !== undefined && typeof viewOn !== 'string')
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'collMod.viewOn' is the wrong type '${typeName(viewOn)}', expected type 'string'`,
    );
  if (viewOn === '') throw new CommandError('BadValue', "'viewOn' cannot be empty");
  const pipelineArg = ctx.body.get('pipeline');
  const pipeline = pipelineArg === undefined ? undefined : pipelineStages(pipelineArg, 'collMod');
  const options: BsonDoc = new Map<string, BsonValue>([
    ['viewOn', viewOn ?? (view.options.get('viewOn') as string)],
    ['pipeline', pipeline ?? (view.options.get('pipeline') as BsonValue[])],
  ]);
  const collation = view.options.get('collation');
  if (collation !== undefined) options.set('collation', collation);
  const { catalog, writer } = ctx.sandbox;
  checkViewDefinition(
    catalog,
    view.db,
    view.name,
    String(options.get('viewOn')),
    options.get('pipeline') as BsonValue[],
  );
  view.options = options;
  recordViewDefinition(writer, view, writeCtx);
  return {};
}

export const collModCommands: CommandSpec[] = [collMod];
