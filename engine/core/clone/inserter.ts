// Writing one batch of cloned documents to the target. Unordered, so one rejected document does not
// hold back the rest, and with bypassDocumentValidation, because the source may hold documents its
// own validator would now refuse (inserted before the validator, or under validationLevel moderate).
//
// A duplicate key means the document is already there: a segment copied again after a restart or a
// retry, or a document the change stream wrote first. Those are absorbed, and only those: any other
// write error, or a write concern error, fails the collection. Ordered batches (capped collections,
// where insertion order is the data) never absorb anything, since an ordered batch stops at the first
// error and the documents after it would be lost silently.
import { MongoBulkWriteError, type Collection } from 'mongodb';
import type { OrderedDocument } from '../bson/ordered.js';
import { retry } from '../errors.js';
import type { EngineLog } from '../parts.js';

const DUPLICATE_KEY = 11000;

export interface InsertResult {
  inserted: number;
  duplicates: number;
}

export async function insertBatch(
  target: Collection,
  documents: OrderedDocument[],
  { ordered, log }: { ordered: boolean; log: EngineLog },
): Promise<InsertResult> {
  const attempt = async (): Promise<InsertResult> => {
    try {
      // forceServerObjectId stops the driver from adding an `_id` property to the Maps; every cloned
      // document has its `_id` already.
      const result = await target.insertMany(documents, {
        ordered,
        bypassDocumentValidation: true,
        forceServerObjectId: true,
      });
      return { inserted: result.insertedCount, duplicates: 0 };
    } catch (error) {
      const duplicates = ordered ? undefined : onlyDuplicates(error);
      if (duplicates === undefined) throw error;
      return { inserted: documents.length - duplicates, duplicates };
    }
  };
  // A retried batch may have been partly written: the second attempt meets those as duplicates.
  return retry(attempt, {
    attempts: ordered ? 1 : 5,
    initialDelayMs: 1000,
    maxDelayMs: 20_000,
    onRetry: ({ attempt: n, error }) =>
      log.warn('retrying a clone insert', { namespace: target.namespace, attempt: n, error: error.message }),
  });
}

/** The number of duplicate-key errors, if the error holds nothing else. */
function onlyDuplicates(error: unknown): number | undefined {
  if (!(error instanceof MongoBulkWriteError) || error.result.getWriteConcernError()) return undefined;
  const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  if (writeErrors.length === 0 || writeErrors.some((writeError) => writeError.code !== DUPLICATE_KEY)) return undefined;
  return writeErrors.length;
}
