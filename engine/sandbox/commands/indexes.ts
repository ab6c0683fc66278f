// createIndexes, listIndexes and dropIndexes. Specs are checked and normalised in storage/index-specs.ts
// and compared with the existing indexes by storage/index-conflicts.ts; every build and drop is logged.
import { randomUUID } from 'node:crypto';
import { decodeDocument } from '../bson/decode.js';
import { formatValue } from '../bson/format.js';
import type { BsonDoc, BsonValue } from '../bson/values.js';
import { ArraySource } from '../cursors.js';
import { CommandError } from '../errors.js';
import { compileFilter } from '../query/matcher.js';
import type { Collection, StoredDocument } from '../storage/collection.js';
import { logCreateIndexes, logDropIndex } from '../storage/ddl-log.js';
import { needsBuild } from '../storage/index-conflicts.js';
import {
  ID_INDEX_NAME,
  indexTargetOf,
  isIdKeyPattern,
  listedForm,
  listedIndexSpecs,
  prepareIndexSpec,
  typeName,
  withoutUnknownIndexOptions,
} from '../storage/index-specs.js';
import { idIndexSpec, setPartialFilterCompiler } from '../storage/indexes.js';
import { collectionName, optionalBool, optionalDoc, optionalNumber } from './args.js';
import { sizeOfReplyDoc } from './crud.js';
import { openCursorReply } from './cursor-reply.js';
import { uuidText } from './ddl.js';
import { rejectUnknownFields } from './strict-fields.js';
import type { CommandContext, CommandReply, CommandSpec } from './types.js';
import { writeContextOf } from './write-context.js';

setPartialFilterCompiler(compileFilter);

const COMMIT_QUORUM_MODES = new Set(['votingMembers', 'majority']);

/** The collection a command on indexes addresses: never a view; undefined when it does not exist. */
function indexedCollection(ctx: CommandContext, name: string): Collection | undefined {
  const collection = ctx.sandbox.catalog.get(ctx.db, name);
  if (collection?.isView)
    throw new CommandError('CommandNotSupportedOnView', `Namespace ${collection.ns} is a view, not a collection`);
  return collection;
}

/** The collection's documents, decoded only when an index build reads them (each read decodes anew). */
export function documentsOf(collection: Collection): Iterable<[StoredDocument, BsonDoc]> {
  return {
    *[Symbol.iterator]() {
      for (const record of collection.natural()) yield [record, decodeDocument(record.bytes)];
    },
  };
}

const createIndexes: CommandSpec = {
  name: 'createIndexes',
  write: true,
  run(ctx): CommandReply {
    const name = collectionName(ctx.body, 'createIndexes');
    const ns = `${ctx.db}.${name}`;
    rejectUnknownFields(ctx.body, 'createIndexes', [
      'indexes',
      'commitQuorum',
      'ignoreUnknownIndexOptions',
      'collectionUUID',
      'isTimeseriesNamespace',
    ]);
    const rawSpecs = requestedSpecs(ctx.body);
    checkCommitQuorum(ctx.body.get('commitQuorum'));
    const writeCtx = writeContextOf(ctx);
    const { writer } = ctx.sandbox;
    writer.checkWritable(ctx.db, writeCtx);
    const existing = indexedCollection(ctx, name);
    const target = indexTargetOf(ns, existing);
    const specs = rawSpecs.map((raw, position) => prepareIndexSpec(raw, position, target));
    // A collection the command creates starts with the default _id index.
    const existingSpecs = existing ? listedIndexSpecs(existing) : [idIndexSpec()];
    const clustered = existing?.options.has('clusteredIndex') ?? false;
    const toBuild: BsonDoc[] = [];
    for (const spec of specs) {
      if (clustered && isIdKeyPattern(spec.get('key') as BsonDoc)) continue;
      if (needsBuild(spec, existingSpecs, toBuild, ns)) toBuild.push(spec);
    }
    const collection = existing ?? writer.createCollection(ctx.db, name, new Map(), writeCtx);
    const numIndexesBefore = listedIndexSpecs(collection).length;
    if (toBuild.length === 0)
      return existing
        ? { numIndexesBefore, numIndexesAfter: numIndexesBefore, note: 'all indexes already exist' }
        : { numIndexesBefore, numIndexesAfter: numIndexesBefore, createdCollectionAutomatically: true };
    const twoPhase = collection.count > 0;
    buildIndexes(collection, toBuild);
    writeCtx.transaction?.undo.push(() => {
      for (const spec of toBuild) collection.indexes.drop(String(spec.get('name')));
    });
    logCreateIndexes(writer, collection, toBuild, twoPhase, writeCtx);
    return {
      numIndexesBefore,
      numIndexesAfter: numIndexesBefore + toBuild.length,
      createdCollectionAutomatically: !existing,
      ...(twoPhase ? { commitQuorum: 'votingMembers' } : {}),
    };
  },
};

function requestedSpecs(body: BsonDoc): BsonValue[] {
  const indexes = body.get('indexes');
  if (indexes === undefined)
    throw new CommandError(40414, "BSON field 'createIndexes.indexes' is missing but a required field");
  if (!Array.isArray(indexes))
    throw new CommandError(
      'TypeMismatch',
      `BSON field 'createIndexes.indexes' is the wrong type '${typeName(indexes)}', expected type 'array'`,
    );
  if (indexes.length === 0) throw new CommandError('BadValue', 'Must specify at least one index to create');
  if (optionalBool(body, 'ignoreUnknownIndexOptions') !== true) return indexes;
  return indexes.map((spec) => (spec instanceof Map ? withoutUnknownIndexOptions(spec) : spec));
}

function checkCommitQuorum(value: BsonValue | undefined): void {
  if (value === undefined || value === null || typeof value !== 'string' || COMMIT_QUORUM_MODES.has(value)) return;
  throw new CommandError(79, `No write concern mode named '${value}' found in replica set configuration`);
}

/** Builds every index or none: a unique index over duplicates fails as mongod's index build does. */
function buildIndexes(collection: Collection, specs: BsonDoc[]): void {
  const documents = documentsOf(collection);
  const built: string[] = [];
  try {
    for (const spec of specs) {
      collection.indexes.create(spec, documents);
      built.push(String(spec.get('name')));
    }
  } catch (error) {
    for (const name of built) collection.indexes.drop(name);
    if (!(error instanceof CommandError) || error.code !== 11000) throw error;
    throw new CommandError(
      'DuplicateKey',
      `Index build failed: ${randomUUID()}: Collection ${collection.ns} ( ${uuidText(collection.uuid)} ) :: caused by :: ${error.message}`,
      error.extra,
    );
  }
}

const listIndexes: CommandSpec = {
  name: 'listIndexes',
  run(ctx) {
    const name = collectionName(ctx.body, 'listIndexes');
    const collection = indexedCollection(ctx, name);
    if (!collection) throw new CommandError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
    const batchSize = optionalNumber(optionalDoc(ctx.body, 'cursor') ?? new Map(), 'batchSize');
    const specs = listedIndexSpecs(collection).map(listedForm);
    return openCursorReply(
      ctx,
      `${ctx.db}.$cmd.listIndexes.${name}`,
      new ArraySource(specs, sizeOfReplyDoc),
      batchSize,
    );
  },
};

const dropIndexes: CommandSpec = {
  name: 'dropIndexes',
  aliases: ['deleteIndexes'],
  write: true,
  run(ctx): CommandReply {
    const name = collectionName(ctx.body, ctx.name);
    rejectUnknownFields(ctx.body, 'dropIndexes', ['index', 'collectionUUID']);
    const index = ctx.body.get('index');
    if (index === undefined)
      throw new CommandError(40414, "BSON field 'dropIndexes.index' is missing but a required field");
    const collection = indexedCollection(ctx, name);
    if (!collection) throw new CommandError('NamespaceNotFound', `ns not found ${ctx.db}.${name}`);
    const writeCtx = writeContextOf(ctx);
    ctx.sandbox.writer.checkWritable(ctx.db, writeCtx);
    const nIndexesWas = listedIndexSpecs(collection).length;
    const dropped = indexesToDrop(collection, index);
    for (const spec of dropped) {
      collection.indexes.drop(String(spec.get('name')));
      writeCtx.transaction?.undo.push(() => collection.indexes.create(spec, documentsOf(collection)));
      logDropIndex(ctx.sandbox.writer, collection, spec, writeCtx);
    }
    return index === '*' ? { nIndexesWas, msg: 'non-_id indexes dropped for collection' } : { nIndexesWas };
  },
};

function indexesToDrop(collection: Collection, index: BsonValue): BsonDoc[] {
  const { indexes } = collection;
  if (index === '*') return indexes.list.filter((entry) => entry.name !== ID_INDEX_NAME).map((entry) => entry.spec);
  if (typeof index === 'string') return [byName(collection, index)];
  if (Array.isArray(index)) {
    const names = index.map((name) => {
      if (typeof name !== 'string')
        throw new CommandError(
          'TypeMismatch',
          "BSON field 'dropIndexes.index' is the wrong type 'array', expected types '[string']",
        );
      return name;
    });
    return names.map((name) => byName(collection, name));
  }
  if (index instanceof Map) {
    const matches = indexes.findByKeyPattern(index);
    if (matches.length === 0)
      throw new CommandError('IndexNotFound', `can't find index with key: ${formatValue(index)}`);
    if (matches.length > 1)
      throw new CommandError(
        181,
        `${matches.length} indexes found for key: ${formatValue(index)}, identify by name instead. Conflicting indexes: ${matches.map((entry) => formatValue(entry.spec)).join(', ')}`,
      );
    if (matches[0].name === ID_INDEX_NAME) throw new CommandError('InvalidOptions', 'cannot drop _id index');
    return [matches[0].spec];
  }
  throw new CommandError(
    'TypeMismatch',
    `BSON field 'dropIndexes.index' is the wrong type '${typeName(index)}', expected types '[string, object']`,
  );
}

function byName(collection: Collection, name: string): BsonDoc {
  if (name === ID_INDEX_NAME) throw new CommandError('InvalidOptions', 'cannot drop _id index');
  const entry = collection.indexes.get(name);
  if (!entry) throw new CommandError('IndexNotFound', `index not found with name [${name}]`);
  return entry.spec;
}

export const indexCommands: CommandSpec[] = [createIndexes, listIndexes, dropIndexes];
