// Writing one namespace's share of an applier batch to the target: ordered bulk writes, so the
// writes of each document land in stream order, with the recoveries an idempotent replay needs.
//
// - A replaceOne whose upsert hits a duplicate _id (the document's key moved, so the filter missed
//   the document that holds the _id) becomes a delete of that _id and an insert of the replacement.
//   So does one refused because the document has a top-level field name starting with '$': MongoDB
//   stores such names (5.0+) and inserts them, but refuses them in a replacement (DollarPrefixedFieldName).
// - An update that fails with PathNotViable (28) or NonExistentPath (29) met a target document of
//   another shape than the source's at that event (a replay after a restart); it, and every 'refetch'
//   op, reads the document from the source and replaces it on the target, or deletes it there if the
//   source no longer has it. The target may then run ahead of the stream for that document until
//   the stream reaches the same point, which its later events do without harm.
// - Transient errors retry the unfinished part of the bulk with backoff; replaying a prefix of
//   ordered, idempotent writes converges to the same result.
// Anything else is fatal, with the namespace and the server's reason.
//
// Writes bypass document validation: the source accepted these documents (its validator may be
// moderate or warn-only), and the target must hold the same ones.
import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';
import type { OrderedDocument } from '../bson/ordered.js';
import { decodeRaw } from '../catalog/raw-reads.js';
import { classify, FerryError, retry, type RetryPolicy } from '../errors.js';
import type { EngineContext } from '../parts.js';
import { asDocument, updateDocument } from './driver-documents.js';
import type { WriteOp } from './translate.js';

export interface NamespaceWrites {
  db: string;
  coll: string;
  ops: WriteOp[];
}

type BulkOp = Exclude<WriteOp, { kind: 'refetch' }>;

interface WriteFailure {
  /** Index of the failed op in the bulk. */
  index: number;
  code: number;
}

const DUPLICATE_KEY = 11000;
const DOLLAR_PREFIXED_FIELD_NAME = 52;
const PATH_NOT_VIABLE = 28;
const NON_EXISTENT_PATH = 29;

export class BulkWriter {
  private readonly retryPolicy: RetryPolicy;

  constructor(
    private readonly ctx: EngineContext,
    signal: AbortSignal,
  ) {
    this.retryPolicy = {
      attempts: Infinity,
      initialDelayMs: 250,
      maxDelayMs: 30_000,
      signal,
      onRetry: ({ attempt, delayMs, error }) =>
        ctx.log.warn('retrying a write to the target', { attempt, retryInMs: delayMs, error: error.message }),
    };
  }

  /** Applies the ops in order; resolves when all are on the target, rejects with a FerryError if not. */
  async write({ db, coll, ops }: NamespaceWrites): Promise<void> {
    const collection = this.ctx.target.db(db).collection(coll);
    try {
      let next = 0;
      while (next < ops.length) {
        const op = ops[next];
        if (op.kind === 'refetch') {
          await this.refetch(db, coll, op.documentKey);
          next++;
          continue;
        }
        const bulk = bulkFrom(ops, next, this.ctx.repl.bulkOps);
        const failure = await this.bulkWrite(collection, bulk);
        if (!failure) {
          next += bulk.length;
          continue;
        }
        await this.recover(db, coll, bulk[failure.index]);
        next += failure.index + 1;
      }
    } catch (error) {
      if (error instanceof FerryError) throw error;
      const info = classify(error);
      throw new FerryError(
        { ...info, message: `applying changes to ${db}.${coll} failed: ${info.message}` },
        { cause: error },
      );
    }
  }

  /** Runs one ordered bulk; returns its first failure when that failure has a recovery. */
  private bulkWrite(collection: Collection, bulk: BulkOp[]): Promise<WriteFailure | undefined> {
    return retry(async () => {
      try {
        await collection.bulkWrite(bulk.map(bulkModel), { ordered: true, bypassDocumentValidation: true });
        return undefined;
      } catch (error) {
        const failure = firstWriteError(error);
        if (failure && recoverable(bulk[failure.index], failure.code)) return failure;
        throw error;
      }
    }, this.retryPolicy);
  }

  private async recover(db: string, coll: string, op: BulkOp): Promise<void> {
    if (op.kind === 'replaceOne') return this.reinsert(db, coll, op.replacement);
    return this.refetch(db, coll, op.filter);
  }

  /** Deletes whatever holds the replacement's _id, then inserts the replacement, in one ordered bulk. */
  private async reinsert(db: string, coll: string, replacement: OrderedDocument): Promise<void> {
    const collection = this.ctx.target.db(db).collection(coll);
    const byId = asDocument(idFilter(replacement));
    await retry(
      () =>
        collection.bulkWrite([{ deleteOne: { filter: byId } }, { insertOne: { document: asDocument(replacement) } }], {
          ordered: true,
          bypassDocumentValidation: true,
          // The replacement has its _id; without this the driver would try to add one to the Map.
          forceServerObjectId: true,
        }),
      this.retryPolicy,
    );
  }

  /**
   * Copies the document as the source has it now. By _id alone: the target is a replica set, where
   * _id identifies the document whatever its shard key was on the source.
   */
  private async refetch(db: string, coll: string, documentKey: OrderedDocument): Promise<void> {
    const byId = idFilter(documentKey);
    const found = await retry(
      () => this.ctx.source.db(db).collection(coll).find(asDocument(byId), { raw: true, limit: 1 }).toArray(),
      this.retryPolicy,
    );
    const collection = this.ctx.target.db(db).collection(coll);
    const op: BulkOp =
      found.length === 0
        ? { kind: 'deleteOne', filter: byId }
        : { kind: 'replaceOne', filter: byId, replacement: decodeRaw(found[0]), upsert: true };
    const failure = await this.bulkWrite(collection, [op]);
    if (failure && op.kind === 'replaceOne') await this.reinsert(db, coll, op.replacement);
  }
}

/** Ops from `start` up to the next refetch, at most `max` of them. */
function bulkFrom(ops: WriteOp[], start: number, max: number): BulkOp[] {
  const bulk: BulkOp[] = [];
  for (let index = start; index < ops.length && bulk.length < max; index++) {
    const op = ops[index];
    if (op.kind === 'refetch') break;
    bulk.push(op);
  }
  return bulk;
}

function bulkModel(op: BulkOp): AnyBulkWriteOperation<Document> {
  switch (op.kind) {
    case 'replaceOne':
      return {
        replaceOne: { filter: asDocument(op.filter), replacement: asDocument(op.replacement), upsert: op.upsert },
      };
    case 'updateOne':
      return { updateOne: { filter: asDocument(op.filter), update: updateDocument(op.update) } };
    case 'deleteOne':
      return { deleteOne: { filter: asDocument(op.filter) } };
  }
}

function recoverable(op: BulkOp, code: number): boolean {
  if (op.kind === 'replaceOne') return code === DUPLICATE_KEY || code === DOLLAR_PREFIXED_FIELD_NAME;
  if (op.kind === 'updateOne') return code === PATH_NOT_VIABLE || code === NON_EXISTENT_PATH;
  return false;
}

/** The failing op of an ordered bulk write (the driver reports indexes into the whole bulk). */
function firstWriteError(error: unknown): WriteFailure | undefined {
  if (typeof error !== 'object' || error === null || !('writeErrors' in error)) return undefined;
  const { writeErrors } = error;
  if (!Array.isArray(writeErrors) || writeErrors.length === 0) return undefined;
  const first: unknown = writeErrors[0];
  if (typeof first !== 'object' || first === null || !('index' in first) || !('code' in first)) return undefined;
  const { index, code } = first;
  return typeof index === 'number' && typeof code === 'number' ? { index, code } : undefined;
}

function idFilter(doc: OrderedDocument): OrderedDocument {
  return new Map([['_id', doc.get('_id')]]);
}
