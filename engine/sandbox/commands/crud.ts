// insert, find, getMore and killCursors.
import { decodeDocument } from '../bson/decode.js';
import { encodeDocument } from '../bson/encode.js';
import { Long, ObjectId, RawDocument, type BsonDoc, type BsonValue, type EncodableValue } from '../bson/values.js';
import { ArraySource } from '../cursors.js';
import { CommandError } from '../errors.js';
import { findInOplog, OPLOG_COLLECTION, OPLOG_DB } from '../query/oplog-collection.js';
import { selectDocuments } from '../query/plan.js';
import { compileFilter } from '../query/matcher.js';
import { applyProjection } from '../query/projection.js';
import { MAX_BSON_SIZE, MAX_WRITE_BATCH_SIZE } from '../limits.js';
import { checkIdValue } from '../query/update/storage-validation.js';
import type { Collection } from '../storage/collection.js';
import { validateDocument } from '../storage/validation.js';
import type { WriteContext, Writer } from '../storage/writer.js';
import { collectionName, optionalArray, optionalBool, optionalDoc, optionalNumber } from './args.js';
import { operationCollation } from './collation-option.js';
import { openCursorReply } from './cursor-reply.js';
import { commandVariables } from './let-variables.js';
import { writeContextOf } from './write-context.js';
import type { CommandReply, CommandSpec } from './types.js';
import { findOnView } from './views.js';

/** A write error entry as mongod reports it inside `writeErrors`. */
export function writeErrorEntry(index: number, error: unknown): Record<string, EncodableValue> {
  if (error instanceof CommandError) return { index, code: error.code, errmsg: error.message, ...error.extra };
  return { index, code: 1, errmsg: error instanceof Error ? error.message : String(error) };
}

/**
 * Gives a document an ObjectId _id if it has none and moves _id to the front, as mongod stores it;
 * checks the _id is allowed. Returns the same Map when nothing had to change.
 */
export function withId(doc: BsonDoc): BsonDoc {
  const id = doc.get('_id');
  if (id === undefined) return new Map<string, BsonValue>([['_id', new ObjectId()], ...doc]);
  if (doc.keys().next().value !== '_id') {
    const reordered = new Map<string, BsonValue>([['_id', id]]);
    for (const [name, value] of doc) if (name !== '_id') reordered.set(name, value);
    return withId(reordered);
  }
  checkIdValue(id);
  return doc;
}

/**
 * Inserts one document as mongod's insert path does: size limit, _id checked (or generated) and put
 * first, validator. `bytes` is the document's encoding, stored as is when nothing had to change.
 */
export function insertDocument(
  writer: Writer,
  collection: Collection,
  parsed: BsonDoc,
  writeCtx: WriteContext,
  bypassValidation: boolean,
  bytes = encodeDocument(parsed),
): void {
  if (bytes.length > MAX_BSON_SIZE)
    throw new CommandError(
      'BSONObjectTooLarge',
      `object to insert too large. size in bytes: ${bytes.length}, max size: ${MAX_BSON_SIZE}`,
    );
  const doc = withId(parsed);
  validateDocument(collection, doc, bypassValidation);
  writer.insert(collection, doc, writeCtx, doc === parsed ? bytes : encodeDocument(doc));
}

const insert: CommandSpec = {
  name: 'insert',
  write: true,
  run(ctx) {
    const name = collectionName(ctx.body, 'insert');
    const sequence = ctx.sequences.get('documents');
    const rawDocs =
      sequence ?? (optionalArray(ctx.body, 'documents') ?? []).map((doc) => encodeDocument(doc as BsonDoc));
    if (rawDocs.length === 0)
      throw new CommandError('InvalidLength', 'Write batch sizes must be between 1 and 100000. Got 0 operations.');
    if (rawDocs.length > MAX_WRITE_BATCH_SIZE)
      throw new CommandError(
        'InvalidLength',
        `Write batch sizes must be between 1 and 100000. Got ${rawDocs.length} operations.`,
      );
    const ordered = optionalBool(ctx.body, 'ordered') ?? true;
    const bypass = optionalBool(ctx.body, 'bypassDocumentValidation') ?? false;
    const writeCtx = writeContextOf(ctx);
    const { writer } = ctx.sandbox;
    writer.checkWritable(ctx.db, writeCtx);
    const collection = writer.collectionForWrite(ctx.db, name, writeCtx);
    const writeErrors: Record<string, EncodableValue>[] = [];
    let n = 0;
    for (let index = 0; index < rawDocs.length; index++) {
      try {
        const bytes = rawDocs[index];
        insertDocument(writer, collection, decodeDocument(bytes), writeCtx, bypass, bytes);
        n++;
      } catch (error) {
        writeErrors.push(writeErrorEntry(index, error));
        if (ordered) break;
      }
    }
    return writeErrors.length ? { n, writeErrors } : { n };
  },
};

const find: CommandSpec = {
  name: 'find',
  async run(ctx) {
    const name = collectionName(ctx.body, 'find');
    const ns = `${ctx.db}.${name}`;
    const filter = optionalDoc(ctx.body, 'filter');
    const projection = optionalDoc(ctx.body, 'projection');
    const sort = optionalDoc(ctx.body, 'sort');
    const skip = optionalNumber(ctx.body, 'skip') ?? 0;
    let limit = optionalNumber(ctx.body, 'limit') ?? 0;
    let batchSize = optionalNumber(ctx.body, 'batchSize');
    let singleBatch = optionalBool(ctx.body, 'singleBatch') ?? false;
    if (skip < 0) throw new CommandError(51024, `BSON field 'skip' value must be >= 0, actual value '${skip}'`);
    if (batchSize !== undefined && batchSize < 0)
      throw new CommandError(51024, `BSON field 'batchSize' value must be >= 0, actual value '${batchSize}'`);
    if (limit < 0) {
      // A negative limit is the legacy way of asking for one batch.
      limit = -limit;
      singleBatch = true;
    }
    if (limit > 0 && (batchSize === undefined || batchSize > limit)) batchSize = limit;
    const collection = ctx.sandbox.catalog.get(ctx.db, name);
    const collation = operationCollation(optionalDoc(ctx.body, 'collation'), collection);
    if (ctx.db === OPLOG_DB && name === OPLOG_COLLECTION)
      return findInOplog(ctx, { filter, projection, sort, skip, limit, batchSize, singleBatch });
    if (collection?.isView)
      return findOnView(ctx, collection, { filter, projection, sort, skip, limit, batchSize, singleBatch, collation });
    const variables = commandVariables(ctx);
    const hint = ctx.body.get('hint');
    // mongod parses the filter even when the collection does not exist, so a bad one is still an error.
    if (!collection) compileFilter(filter, variables, collation);
    const selected = collection
      ? selectDocuments(collection, filter, { sort, skip, limit, hint, variables, collation })
      : [];
    const documents: EncodableValue[] = selected.map(({ record, doc }) =>
      projection && projection.size > 0 ? applyProjection(doc, projection, filter) : new RawDocument(record.bytes),
    );
    return openCursorReply(ctx, ns, new ArraySource(documents, sizeOfReplyDoc), batchSize, singleBatch);
  },
};

export function sizeOfReplyDoc(doc: EncodableValue): number {
  return doc instanceof RawDocument ? doc.bytes.length : encodeDocument(doc).length;
}

const getMore: CommandSpec = {
  name: 'getMore',
  async run(ctx) {
    const id = ctx.body.get('getMore');
    if (!(id instanceof Long))
      throw new CommandError('TypeMismatch', `Field 'getMore' must be of type long in: ${ctx.body.get('getMore')}`);
    const name = collectionName(ctx.body, 'collection');
    const ns = `${ctx.db}.${name}`;
    const cursor = ctx.sandbox.cursors.get(id);
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${id.toString()} not found`);
    if (cursor.ns !== ns && !(cursor.ns.endsWith('.$cmd.aggregate') && cursor.ns.split('.')[0] === ctx.db))
      throw new CommandError(
        'Unauthorized',
        `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`,
      );
    if (cursor.busy) throw new CommandError(292, `Cursor id ${id.toString()} is already in use`);
    const batchSize = optionalNumber(ctx.body, 'batchSize');
    const maxTimeMS = optionalNumber(ctx.body, 'maxTimeMS');
    cursor.busy = true;
    try {
      const batch = await cursor.source.nextBatch({ batchSize, awaitMs: maxTimeMS ?? 1000, isFirstBatch: false });
      cursor.lastUsed = Date.now();
      let cursorId = cursor.id;
      if (batch.exhausted) {
        ctx.sandbox.cursors.kill(cursor.id);
        cursorId = Long.fromNumber(0);
      }
      const reply: Record<string, EncodableValue> = { nextBatch: batch.documents, id: cursorId, ns: cursor.ns };
      if (batch.postBatchResumeToken) reply.postBatchResumeToken = batch.postBatchResumeToken;
      return { cursor: reply };
    } finally {
      cursor.busy = false;
    }
  },
};

const killCursors: CommandSpec = {
  name: 'killCursors',
  run(ctx): CommandReply {
    const ids = optionalArray(ctx.body, 'cursors') ?? [];
    const cursorsKilled: Long[] = [];
    const cursorsNotFound: Long[] = [];
    for (const id of ids) {
      if (!(id instanceof Long)) throw new CommandError('TypeMismatch', 'Field cursors must be an array of longs');
      (ctx.sandbox.cursors.kill(id) ? cursorsKilled : cursorsNotFound).push(id);
    }
    return { cursorsKilled, cursorsNotFound, cursorsAlive: [], cursorsUnknown: [] };
  },
};

export const crudCommands: CommandSpec[] = [insert, find, getMore, killCursors];
