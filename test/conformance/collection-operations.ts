// Collection operations (CRUD spec): reads, writes, bulkWrite, indexes, rename.
import type { AggregateOptions, AnyBulkWriteOperation, Document } from 'mongodb';
import {
  asDocumentArg,
  asDocumentList,
  asStringArg,
  asUpdateArg,
  checkArgumentNames,
  prepareArguments,
  split,
  type ArgumentSpec,
} from './arguments.js';
import { RunnerError } from './errors.js';
import { createChangeStream } from './cursor-operations.js';
import {
  coll,
  database,
  decodeRaw,
  FIND_OPTIONS,
  LONGS,
  RAW,
  READ,
  WRITE,
  type OperationContext,
  type OperationDef,
  type Table,
} from './operation-types.js';
import { isDocument } from './values.js';

/** aggregate exists on collections and databases with the same arguments. */
export const aggregate = (on: 'collection' | 'database'): OperationDef => ({
  required: ['pipeline'],
  optional: [
    ...READ,
    'allowDiskUse',
    'batchSize',
    'bypassDocumentValidation',
    'collation',
    'hint',
    'let',
    'maxAwaitTimeMS',
    'writeConcern',
    'timeoutMode',
  ],
  shape: 'rootElements',
  async run(call, ctx) {
    const [{ pipeline }, options] = split(call.args, 'pipeline');
    // Not raw: the driver would decode an aggregate's error reply raw as well (only find and
    // getMore keep raw decoding to the batch).
    const opts: AggregateOptions = { ...options, ...LONGS };
    const stages = asDocumentList(pipeline, 'pipeline');
    const cursor =
      on === 'collection' ? coll(ctx, call).aggregate(stages, opts) : database(ctx, call).aggregate(stages, opts);
    return cursor.toArray();
  },
});

// --- bulk write models --------------------------------------------------------------------

const MODEL_ARGUMENTS: Record<string, ArgumentSpec> = {
  insertOne: { required: ['document'] },
  updateOne: { required: ['filter', 'update'], optional: ['arrayFilters', 'collation', 'hint', 'upsert', 'sort'] },
  updateMany: { required: ['filter', 'update'], optional: ['arrayFilters', 'collation', 'hint', 'upsert'] },
  replaceOne: { required: ['filter', 'replacement'], optional: ['collation', 'hint', 'upsert', 'sort'] },
  deleteOne: { required: ['filter'], optional: ['collation', 'hint'] },
  deleteMany: { required: ['filter'], optional: ['collation', 'hint'] },
};

/** One `{ insertOne: {...} }`-style model: its kind and driver-ready fields. */
export function parseModel(
  model: unknown,
  index: number,
  ctx: OperationContext,
  withNamespace: boolean,
): [string, Document] {
  if (!isDocument(model) || Object.keys(model).length !== 1) throw new RunnerError(`model ${index}: expected one key`);
  const kind = Object.keys(model)[0];
  const spec = MODEL_ARGUMENTS[kind];
  const body = model[kind];
  if (!spec || !isDocument(body)) throw new RunnerError(`model ${index}: unsupported write model "${kind}"`);
  const withNs: ArgumentSpec = withNamespace
    ? { required: [...(spec.required ?? []), 'namespace'], optional: spec.optional }
    : spec;
  checkArgumentNames(body, withNs, `model ${index} (${kind})`);
  return [kind, prepareArguments(body, ctx.entities)];
}

const bulkWrite: OperationDef = {
  required: ['requests'],
  optional: [...WRITE, 'ordered', 'bypassDocumentValidation', 'let'],
  async run(call, ctx) {
    const [{ requests }, options] = split(call.args, 'requests');
    if (!Array.isArray(requests)) throw new RunnerError('bulkWrite: requests must be an array');
    // The format's request shape ({ updateOne: { filter, update, ... } }) is the driver's own.
    const models = requests.map((request, i) => {
      const [kind, body] = parseModel(request, i, ctx, false);
      return { [kind]: body } as AnyBulkWriteOperation<Document>;
    });
    return coll(ctx, call).bulkWrite(models, options);
  },
};

// --- collection -----------------------------------------------------------------------------

const UPDATE_OPTIONS = [
  ...WRITE,
  'arrayFilters',
  'bypassDocumentValidation',
  'collation',
  'hint',
  'let',
  'upsert',
] as const;
const FIND_AND_MODIFY_OPTIONS = [...WRITE, 'collation', 'hint', 'let', 'maxTimeMS', 'projection', 'sort'] as const;

export const collectionOperations: Table = {
  aggregate: aggregate('collection'),
  bulkWrite,
  createChangeStream,
  countDocuments: {
    required: ['filter'],
    optional: [...READ, 'collation', 'hint', 'limit', 'skip'],
    shape: 'value',
    async run(call, ctx) {
      const [{ filter }, options] = split(call.args, 'filter');
      return coll(ctx, call).countDocuments(asDocumentArg(filter, 'filter'), options);
    },
  },
  count: {
    optional: [...READ, 'filter', 'collation', 'hint', 'limit', 'skip'],
    shape: 'value',
    async run(call, ctx) {
      const [{ filter }, options] = split(call.args, 'filter');
      return coll(ctx, call).count(filter === undefined ? {} : asDocumentArg(filter, 'filter'), options);
    },
  },
  estimatedDocumentCount: {
    optional: READ,
    shape: 'value',
    async run(call, ctx) {
      return coll(ctx, call).estimatedDocumentCount(call.args);
    },
  },
  distinct: {
    required: ['fieldName', 'filter'],
    optional: [...READ, 'collation', 'hint'],
    shape: 'value',
    async run(call, ctx) {
      const [{ fieldName, filter }, options] = split(call.args, 'fieldName', 'filter');
      return coll(ctx, call).distinct(asStringArg(fieldName, 'fieldName'), asDocumentArg(filter, 'filter'), {
        ...options,
        ...LONGS,
      });
    },
  },
  find: {
    required: ['filter'],
    optional: FIND_OPTIONS,
    shape: 'rootElements',
    async run(call, ctx) {
      const [{ filter }, options] = split(call.args, 'filter');
      return coll(ctx, call)
        .find(asDocumentArg(filter, 'filter'), { ...options, ...RAW })
        .toArray()
        .then((docs) => docs.map(decodeRaw));
    },
  },
  findOne: {
    required: ['filter'],
    optional: FIND_OPTIONS,
    async run(call, ctx) {
      const [{ filter }, options] = split(call.args, 'filter');
      return decodeRaw(await coll(ctx, call).findOne(asDocumentArg(filter, 'filter'), { ...options, ...RAW }));
    },
  },
  createFindCursor: {
    required: ['filter'],
    optional: FIND_OPTIONS,
    async run(call, ctx) {
      const [{ filter }, options] = split(call.args, 'filter');
      const cursor = coll(ctx, call).find(asDocumentArg(filter, 'filter'), { ...options, ...LONGS });
      // hasNext runs the find command without moving past the first document.
      await cursor.hasNext();
      return cursor;
    },
  },
  findOneAndDelete: {
    required: ['filter'],
    optional: FIND_AND_MODIFY_OPTIONS,
    async run(call, ctx) {
      const [{ filter }, options] = split(call.args, 'filter');
      return coll(ctx, call).findOneAndDelete(asDocumentArg(filter, 'filter'), { ...options, ...LONGS });
    },
  },
  findOneAndReplace: {
    required: ['filter', 'replacement'],
    optional: [...FIND_AND_MODIFY_OPTIONS, 'bypassDocumentValidation', 'returnDocument', 'upsert'],
    async run(call, ctx) {
      const [{ filter, replacement }, options] = split(call.args, 'filter', 'replacement');
      return coll(ctx, call).findOneAndReplace(
        asDocumentArg(filter, 'filter'),
        asDocumentArg(replacement, 'replacement'),
        { ...options, ...LONGS },
      );
    },
  },
  findOneAndUpdate: {
    required: ['filter', 'update'],
    optional: [...FIND_AND_MODIFY_OPTIONS, 'arrayFilters', 'bypassDocumentValidation', 'returnDocument', 'upsert'],
    async run(call, ctx) {
      const [{ filter, update }, options] = split(call.args, 'filter', 'update');
      return coll(ctx, call).findOneAndUpdate(asDocumentArg(filter, 'filter'), asUpdateArg(update), {
        ...options,
        ...LONGS,
      });
    },
  },
  insertOne: {
    required: ['document'],
    optional: [...WRITE, 'bypassDocumentValidation'],
    async run(call, ctx) {
      const [{ document }, options] = split(call.args, 'document');
      return coll(ctx, call).insertOne(asDocumentArg(document, 'document'), options);
    },
  },
  insertMany: {
    required: ['documents'],
    optional: [...WRITE, 'bypassDocumentValidation', 'ordered'],
    async run(call, ctx) {
      const [{ documents }, options] = split(call.args, 'documents');
      return coll(ctx, call).insertMany(asDocumentList(documents, 'documents'), options);
    },
  },
  updateOne: {
    required: ['filter', 'update'],
    optional: [...UPDATE_OPTIONS, 'sort'],
    async run(call, ctx) {
      const [{ filter, update }, options] = split(call.args, 'filter', 'update');
      return coll(ctx, call).updateOne(asDocumentArg(filter, 'filter'), asUpdateArg(update), options);
    },
  },
  updateMany: {
    required: ['filter', 'update'],
    optional: UPDATE_OPTIONS,
    async run(call, ctx) {
      const [{ filter, update }, options] = split(call.args, 'filter', 'update');
      return coll(ctx, call).updateMany(asDocumentArg(filter, 'filter'), asUpdateArg(update), options);
    },
  },
  replaceOne: {
    required: ['filter', 'replacement'],
    optional: [...WRITE, 'bypassDocumentValidation', 'collation', 'hint', 'let', 'upsert', 'sort'],
    async run(call, ctx) {
      const [{ filter, replacement }, options] = split(call.args, 'filter', 'replacement');
      return coll(ctx, call).replaceOne(
        asDocumentArg(filter, 'filter'),
        asDocumentArg(replacement, 'replacement'),
        options,
      );
    },
  },
  deleteOne: {
    required: ['filter'],
    optional: [...WRITE, 'collation', 'hint', 'let'],
    async run(call, ctx) {
      const [{ filter }, options] = split(call.args, 'filter');
      return coll(ctx, call).deleteOne(asDocumentArg(filter, 'filter'), options);
    },
  },
  deleteMany: {
    required: ['filter'],
    optional: [...WRITE, 'collation', 'hint', 'let'],
    async run(call, ctx) {
      const [{ filter }, options] = split(call.args, 'filter');
      return coll(ctx, call).deleteMany(asDocumentArg(filter, 'filter'), options);
    },
  },
  createIndex: {
    required: ['keys'],
    optional: 'any',
    async run(call, ctx) {
      const [{ keys }, options] = split(call.args, 'keys');
      return coll(ctx, call).createIndex(asDocumentArg(keys, 'keys'), options);
    },
  },
  dropIndex: {
    required: ['name'],
    optional: ['session', 'writeConcern', 'comment', 'maxTimeMS', 'timeoutMS'],
    async run(call, ctx) {
      const [{ name }, options] = split(call.args, 'name');
      return coll(ctx, call).dropIndex(asStringArg(name, 'name'), options);
    },
  },
  dropIndexes: {
    optional: ['session', 'writeConcern', 'comment', 'maxTimeMS', 'timeoutMS'],
    async run(call, ctx) {
      return coll(ctx, call).dropIndexes(call.args);
    },
  },
  listIndexes: {
    optional: ['session', 'batchSize', 'comment', 'timeoutMS'],
    shape: 'rootElements',
    async run(call, ctx) {
      return coll(ctx, call)
        .listIndexes({ ...call.args, ...LONGS })
        .toArray();
    },
  },
  rename: {
    required: ['to'],
    optional: ['dropTarget', 'session', 'writeConcern', 'comment'],
    async run(call, ctx) {
      const [{ to }, options] = split(call.args, 'to');
      await coll(ctx, call).rename(asStringArg(to, 'to'), options);
      return undefined;
    },
  },
  drop: {
    optional: ['session', 'writeConcern', 'comment'],
    async run(call, ctx) {
      return coll(ctx, call).drop(call.args);
    },
  },
};
