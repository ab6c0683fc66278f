// Copying one segment: a raw cursor over its `_id` range on the source (natural order for a capped
// collection), cut into batches of at most CloneTuning.readBatchSizeBytes, each decoded into
// OrderedDocuments and inserted through the shared insert slots. The segment is finished only when
// every one of its batches is acknowledged by the target: that is when the cloner may record it as
// done in the checkpoint.
//
// Range segments send their batches to the target in parallel. A capped collection's single segment
// sends them one at a time, in order, because the target keeps documents in insertion order.
import type { Collection } from 'mongodb';
import { decodeOrdered, unsupportedTypesIn, type OrderedDocument } from '../bson/ordered.js';
import { rawBytes } from '../catalog/raw-reads.js';
import { FerryError } from '../errors.js';
import type { EngineCounters, EngineLog } from '../parts.js';
import { insertBatch } from './inserter.js';
import { segmentFilter, type Segment } from './segments.js';
import type { Semaphore } from './semaphore.js';

/** A batch stays well under the 100,000 writes of one insert command and keeps retries small. */
const MAX_BATCH_DOCUMENTS = 10_000;

export interface SegmentCopyContext {
  source: Collection;
  target: Collection;
  readBatchSizeBytes: number;
  /** Cursor batch size (segments.ts segmentSizing). */
  batchDocuments: number;
  insertSlots: Semaphore;
  log: EngineLog;
  counters: EngineCounters;
  /** Called for every acknowledged batch: documents inserted (duplicates left out), bytes sent. */
  onInserted(documents: number, bytes: number): void;
}

export async function copySegment(cx: SegmentCopyContext, segment: Segment): Promise<void> {
  const natural = segment.bounds.kind === 'natural';
  // A capped collection is read in natural (insertion) order, the order the target must receive.
  const cursor = cx.source.find(segmentFilter(segment), {
    ...(natural ? { hint: { $natural: 1 } } : { sort: { _id: 1 } }),
    raw: true,
    batchSize: cx.batchDocuments,
  });
  const inFlight: Promise<void>[] = [];
  let failure: unknown;
  let batch: OrderedDocument[] = [];
  let bytes = 0;
  // Reading a batch starts when the previous one has been handed over (an insert slot waited for
  // is backpressure, not reading).
  let readStarted = performance.now();

  const send = async (): Promise<void> => {
    const documents = batch;
    const size = bytes;
    batch = [];
    bytes = 0;
    cx.counters.cloneReadDocuments(documents.length, size);
    cx.counters.cloneReadBatchDuration(secondsSince(readStarted));
    const release = await cx.insertSlots.acquire();
    const insertStarted = performance.now();
    const insert = insertBatch(cx.target, documents, { ordered: natural, log: cx.log })
      .then(({ inserted }) => {
        cx.counters.cloneInsertBatchDuration(secondsSince(insertStarted));
        cx.counters.cloneInsertedDocuments(inserted, size);
        cx.onInserted(inserted, size);
      })
      .finally(release);
    if (natural) return insert;
    inFlight.push(insert.catch((error: unknown) => void (failure ??= error)));
  };

  try {
    for await (const item of cursor) {
      if (failure !== undefined) break;
      const raw = rawBytes(item);
      if (batch.length > 0 && (bytes + raw.byteLength > cx.readBatchSizeBytes || batch.length >= MAX_BATCH_DOCUMENTS)) {
        await send();
        readStarted = performance.now();
      }
      batch.push(decode(raw, cx.target.namespace));
      bytes += raw.byteLength;
    }
    if (batch.length > 0 && failure === undefined) await send();
  } finally {
    await cursor.close();
    await Promise.all(inFlight);
  }
  if (failure !== undefined) throw failure;
}

function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/** Decodes a document, or fails the collection naming the document and what it holds. */
function decode(raw: Uint8Array, namespace: string): OrderedDocument {
  try {
    return decodeOrdered(raw);
  } catch (error) {
    if (!(error instanceof FerryError) || error.code !== 'UNSUPPORTED_BSON_VALUE') throw error;
    const id = decodeOrdered(raw, () => {}).get('_id');
    throw new FerryError(
      {
        code: 'UNSUPPORTED_BSON_VALUE',
        message:
          `${namespace}: the document with _id ${describeId(id)} holds ` +
          `${unsupportedTypesIn(raw).join(', ')}, which the MongoDB Node.js driver cannot write back unchanged`,
        remedy:
          `Exclude ${namespace} from the migration, or convert the field on the source ` +
          '(for example undefined to null, DBPointer to DBRef); Ferry does not change data silently.',
      },
      { cause: error },
    );
  }
}

function describeId(id: unknown): string {
  if (typeof id === 'string') return JSON.stringify(id);
  return String(id);
}
