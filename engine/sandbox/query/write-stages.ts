// $out and $merge: the pipeline stages that write their results to a collection. Every change goes
// through the writer, so the oplog and change streams see these writes as they see mongod's: $out
// fills a temporary collection and renames it over the target, $merge inserts and updates in place.
import { randomUUID } from 'node:crypto';
import { valuesEqual } from '../bson/compare.js';
import { decodeDocument } from '../bson/decode.js';
import { encodeDocument } from '../bson/encode.js';
import { getPath } from '../bson/path.js';
import { Int32, type BsonDoc, type BsonValue } from '../bson/values.js';
import { withId } from '../commands/crud.js';
import type { CommandContext } from '../commands/types.js';
import { writeContextOf } from '../commands/write-context.js';
import { CommandError } from '../errors.js';
import { validateCollectionName } from '../storage/catalog.js';
import { Collection, type StoredDocument } from '../storage/collection.js';
import { validateDocument } from '../storage/validation.js';
import { logCreateIndexes, logRename } from '../storage/ddl-log.js';
import { compilePipeline, type Stage } from './pipeline.js';
import { computeDiff } from './update/compute-diff.js';
import { describeDiff } from './update/describe.js';
import { identicalValues } from './update/elements.js';

export const WRITE_STAGES = new Set(['$out', '$merge']);

export interface WriteOptions {
  readonly bypassDocumentValidation: boolean;
}

export function writeResults(stage: Stage, ctx: CommandContext, documents: BsonDoc[], options: WriteOptions): void {
  if (!ctx.sandbox.isWritablePrimary) throw new CommandError('NotWritablePrimary', 'not primary');
  if (stage.name === '$out') return out(stage.spec, ctx, documents, options);
  return merge(stage.spec, ctx, documents, options);
}

interface Namespace {
  db: string;
  coll: string;
}

function targetNamespace(spec: BsonValue, ctx: CommandContext, stage: string, collField: string): Namespace {
  if (typeof spec === 'string') return checkedTarget({ db: ctx.db, coll: spec }, stage);
  if (!(spec instanceof Map))
    throw new CommandError(16990, `${stage} only supports a string or object argument, but found ${String(spec)}`);
  const db = spec.get('db') ?? ctx.db;
  const coll = spec.get(collField);
  if (typeof db !== 'string' || typeof coll !== 'string')
    throw new CommandError('TypeMismatch', `${stage} requires string 'db' and '${collField}' fields`);
  return checkedTarget({ db, coll }, stage);
}

function checkedTarget(ns: Namespace, stage: string): Namespace {
  validateCollectionName(ns.db, ns.coll);
  if (['admin', 'config', 'local'].includes(ns.db) || ns.coll.startsWith('system.'))
    throw new CommandError(stage === '$out' ? 17385 : 31320, `Invalid ${stage} target namespace, ${ns.db}.${ns.coll}`);
  return ns;
}

function notAView(collection: Collection | undefined): void {
  if (collection?.isView)
    throw new CommandError('CommandNotSupportedOnView', `Namespace ${collection.ns} is a view, not a collection`);
}

function out(spec: BsonValue, ctx: CommandContext, documents: BsonDoc[], options: WriteOptions): void {
  if (spec instanceof Map && spec.has('timeseries'))
    throw new CommandError('BadValue', "The sandbox does not support the 'timeseries' option of $out");
  const target = targetNamespace(spec, ctx, '$out', 'coll');
  const { catalog, writer } = ctx.sandbox;
  const existing = catalog.get(target.db, target.coll);
  notAView(existing);
  if (existing?.isCapped)
    throw new CommandError(17152, `namespace '${existing.ns}' is capped so it can't be used for $out`);
  const writeCtx = writeContextOf(ctx);
  writer.checkWritable(target.db, writeCtx);
  const tempName = `tmp.agg_out.${randomUUID()}`;
  const rows = documents.map((doc) => {
    const typed = withId(doc);
    return { doc: typed, bytes: encodeDocument(typed) };
  });
  // Check every document against the target's indexes and validator before writing anything, so a
  // failing $out leaves no trace, as mongod's (which drops its temporary collection) does.
  const trial = new Collection(target.db, tempName, new Map(existing?.options ?? []));
  for (const index of existing?.indexes.list ?? []) trial.indexes.create(index.spec, []);
  for (const { doc, bytes } of rows) {
    validateDocument(trial, doc, options.bypassDocumentValidation);
    trial.indexes.check(doc);
    trial.add(doc.get('_id') as BsonValue, bytes, doc);
  }
  const temp = writer.createCollection(target.db, tempName, new Map(existing?.options ?? []), writeCtx);
  const specs = (existing?.indexes.list ?? []).filter((index) => index.name !== '_id_').map((index) => index.spec);
  for (const spec of specs) temp.indexes.create(spec, []);
  if (specs.length) logCreateIndexes(writer, temp, specs, false, writeCtx);
  for (const { doc, bytes } of rows) writer.insert(temp, doc, writeCtx, bytes);
  // The temporary collection takes the target's place in one renameCollection (dropTarget) entry.
  if (existing) catalog.drop(existing.db, existing.name);
  catalog.rename(temp, target.db, target.coll);
  logRename(writer, { db: target.db, coll: tempName }, temp, existing?.uuid, writeCtx);
}

type WhenMatched = 'replace' | 'keepExisting' | 'merge' | 'fail' | BsonValue[];
type WhenNotMatched = 'insert' | 'discard' | 'fail';

interface MergeSpec {
  target: Namespace;
  on: string[];
  whenMatched: WhenMatched;
  whenNotMatched: WhenNotMatched;
  variables?: BsonDoc;
}

const MERGE_FIELDS = ['into', 'on', 'let', 'whenMatched', 'whenNotMatched', 'targetCollectionVersion'];

function parseMerge(spec: BsonValue, ctx: CommandContext): MergeSpec {
  if (typeof spec === 'string')
    return {
      target: targetNamespace(spec, ctx, '$merge', 'coll'),
      on: ['_id'],
      whenMatched: 'merge',
      whenNotMatched: 'insert',
    };
  if (!(spec instanceof Map))
    throw new CommandError(51182, `$merge only supports a string or object argument, but found ${String(spec)}`);
  for (const name of spec.keys())
    if (!MERGE_FIELDS.includes(name)) throw new CommandError(40415, `BSON field '$merge.${name}' is an unknown field.`);
  const into = spec.get('into');
  if (into === undefined) throw new CommandError(40414, "BSON field '$merge.into' is missing but a required field");
  const on = spec.get('on') ?? '_id';
  const onFields = Array.isArray(on) ? on : [on];
  if (onFields.length === 0 || !onFields.every((field): field is string => typeof field === 'string'))
    throw new CommandError(51186, "$merge 'on' field must be either a string or an array of strings");
  const whenMatched = spec.get('whenMatched') ?? 'merge';
  if (!Array.isArray(whenMatched) && !['replace', 'keepExisting', 'merge', 'fail'].includes(String(whenMatched)))
    throw new CommandError(
      'BadValue',
      `Enumeration value '${String(whenMatched)}' for field 'whenMatched' is not a valid value.`,
    );
  const whenNotMatched = spec.get('whenNotMatched') ?? 'insert';
  if (!['insert', 'discard', 'fail'].includes(String(whenNotMatched)))
    throw new CommandError(
      'BadValue',
      `Enumeration value '${String(whenNotMatched)}' for field 'whenNotMatched' is not a valid value.`,
    );
  const variables = spec.get('let');
  if (variables !== undefined && !Array.isArray(whenMatched))
    throw new CommandError(51199, "Cannot use 'let' variables with 'whenMatched: " + String(whenMatched) + "' mode");
  return {
    target: targetNamespace(into, ctx, '$merge', 'coll'),
    on: onFields,
    whenMatched: whenMatched as WhenMatched,
    whenNotMatched: whenNotMatched as WhenNotMatched,
    variables: variables instanceof Map ? variables : undefined,
  };
}

function merge(spec: BsonValue, ctx: CommandContext, documents: BsonDoc[], options: WriteOptions): void {
  const parsed = parseMerge(spec, ctx);
  const { catalog, writer } = ctx.sandbox;
  const existing = catalog.get(parsed.target.db, parsed.target.coll);
  notAView(existing);
  if (existing && !isId(parsed.on) && !hasUniqueIndexOn(existing, parsed.on))
    throw new CommandError(51183, 'Cannot find index to verify that join fields will be unique');
  const writeCtx = writeContextOf(ctx);
  writer.checkWritable(parsed.target.db, writeCtx);
  const collection = existing ?? writer.collectionForWrite(parsed.target.db, parsed.target.coll, writeCtx);
  for (const source of documents) {
    const doc = isId(parsed.on) ? withId(source) : source;
    const match = findMatch(collection, parsed.on, doc);
    if (!match) {
      if (parsed.whenNotMatched === 'fail')
        throw new CommandError(
          13113,
          '$merge could not find a matching document in the target collection for at least one document in the source collection',
        );
      if (parsed.whenNotMatched === 'discard') continue;
      const inserted = withId(doc);
      validateDocument(collection, inserted, options.bypassDocumentValidation);
      writer.insert(collection, inserted, writeCtx);
      continue;
    }
    const { record, current } = match;
    const replacement = matchedResult(ctx, parsed, collection, current, doc);
    if (!replacement) continue;
    if (identicalValues(replacement, current)) continue;
    validateDocument(collection, replacement, options.bypassDocumentValidation, current);
    // A replacement is logged as one; the other modes update, logged as the delta of the document.
    const diff = parsed.whenMatched === 'replace' ? undefined : computeDiff(current, replacement);
    writer.replace(collection, record, replacement, writeCtx, diff ? describeDiff(diff) : undefined);
  }
}

/** The document that replaces a matched one, or undefined when it stays as it is. */
function matchedResult(
  ctx: CommandContext,
  spec: MergeSpec,
  collection: Collection,
  current: BsonDoc,
  doc: BsonDoc,
): BsonDoc | undefined {
  const id = current.get('_id') as BsonValue;
  switch (spec.whenMatched) {
    case 'keepExisting':
      return undefined;
    case 'fail':
      // The same error an insert of the document would meet.
      collection.indexes.check(withId(doc));
      throw new CommandError('DuplicateKey', `E11000 duplicate key error collection: ${collection.ns}`, {
        keyPattern: new Map([['_id', new Int32(1)]]),
        keyValue: new Map([['_id', id]]),
      });
    case 'replace':
      return keepId(doc, id);
    case 'merge': {
      const merged = new Map(current);
      for (const [name, value] of doc) merged.set(name, value);
      return keepId(merged, id);
    }
  }
  const variables = boundVariables(ctx, spec.variables ?? new Map([['new', '$$ROOT']]), doc);
  const [result] = compilePipeline(ctx.sandbox.catalog, ctx.db, spec.whenMatched, { variables })([current]);
  return result ? keepId(result, id) : undefined;
}

/** $merge's `let` expressions read the source document: their values, as literals for the pipeline. */
function boundVariables(ctx: CommandContext, variables: BsonDoc, source: BsonDoc): BsonDoc {
  const [values] = compilePipeline(ctx.sandbox.catalog, ctx.db, [new Map([['$replaceWith', variables]])])([source]);
  return new Map([...(values ?? [])].map(([name, value]) => [name, new Map([['$literal', value]])]));
}

function keepId(doc: BsonDoc, id: BsonValue): BsonDoc {
  const given = doc.get('_id');
  if (given !== undefined && !valuesEqual(given, id))
    throw new CommandError(
      'ImmutableField',
      '$merge failed to update the matching document, did you attempt to modify the _id or the shard key?',
    );
  return new Map<string, BsonValue>([['_id', id], ...[...doc].filter(([name]) => name !== '_id')]);
}

function isId(on: string[]): boolean {
  return on.length === 1 && on[0] === '_id';
}

function hasUniqueIndexOn(collection: Collection, on: string[]): boolean {
  return collection.indexes.list.some((index) => {
    const key = index.spec.get('key');
    if (!(key instanceof Map) || (index.spec.get('unique') !== true && index.name !== '_id_')) return false;
    if (index.spec.has('partialFilterExpression')) return false;
    return key.size === on.length && on.every((field) => key.has(field));
  });
}

function findMatch(
  collection: Collection,
  on: string[],
  doc: BsonDoc,
): { record: StoredDocument; current: BsonDoc } | undefined {
  const values = on.map((field) => {
    const value = getPath(doc, field);
    if (value === undefined || value === null || Array.isArray(value))
      throw new CommandError(51132, "$merge write error: 'on' field cannot be missing, null, undefined or an array");
    return value;
  });
  if (isId(on)) {
    const record = collection.findById(values[0]);
    return record ? { record, current: decodeDocument(record.bytes) } : undefined;
  }
  for (const record of collection.natural()) {
    const current = decodeDocument(record.bytes);
    if (
      on.every((field, i) => {
        const value = getPath(current, field);
        return value !== undefined && valuesEqual(value, values[i]);
      })
    )
      return { record, current };
  }
  return undefined;
}
