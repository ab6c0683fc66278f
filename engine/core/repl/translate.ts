// Change events into target writes. Every write is idempotent: after a crash the stream is replayed
// from the checkpoint's resume point, so the target may already hold the effect of an event (or of a
// later one), and applying it again must converge to the source rather than fail or duplicate.
// Per-document order is kept by routing (route.ts), which is what makes replaying deltas safe.
import type { OrderedDocument } from '../bson/ordered.js';
import { documentField, malformedEvent, stringField } from './event-fields.js';
import { translateUpdate } from './translate-update.js';

/** A write on one namespace, in the form the applier batches into bulk writes. */
export type WriteOp =
  | { kind: 'replaceOne'; filter: OrderedDocument; replacement: OrderedDocument; upsert: boolean }
  | { kind: 'updateOne'; filter: OrderedDocument; update: OrderedDocument }
  | { kind: 'deleteOne'; filter: OrderedDocument }
  /** Read the document from the source by documentKey and replace it on the target (or delete it if gone). */
  | { kind: 'refetch'; documentKey: OrderedDocument };

export interface Translation {
  db: string;
  coll: string;
  /** Applied in order; an update may need several (see translate-update.ts). */
  ops: WriteOp[];
}

const dataChangeTypes: ReadonlySet<string> = new Set(['insert', 'update', 'replace', 'delete']);

/** Whether an event changes documents (routed to appliers) rather than the catalog (a barrier). */
export function isDataChange(event: OrderedDocument): boolean {
  return dataChangeTypes.has(String(event.get('operationType')));
}

/** Translates an insert, update, replace or delete event; DDL events are the barrier's business. */
export function translateEvent(event: OrderedDocument): Translation {
  const operationType = event.get('operationType');
  const ns = documentField(event, 'ns');
  const db = stringField(ns, 'db');
  const coll = stringField(ns, 'coll');
  const documentKey = documentField(event, 'documentKey');
  switch (operationType) {
    case 'insert':
    case 'replace':
      // Both carry the whole document and are written with upsert, as "the document is now exactly
      // this", which holds whatever the target has at that moment. PCSM's replace has no upsert, so
      // it silently matches nothing when the target lacks the document: during a replay after a
      // crash, or when the document's key moved (a shard key change puts the old and the new key on
      // different appliers, which do not order their writes). Upsert cannot resurrect a document the
      // source deleted: the delete has the same documentKey, so the same applier replays it after.
      return {
        db,
        coll,
        ops: [
          { kind: 'replaceOne', filter: documentKey, replacement: documentField(event, 'fullDocument'), upsert: true },
        ],
      };
    case 'update':
      return { db, coll, ops: translateUpdate(documentKey, documentField(event, 'updateDescription')) };
    case 'delete':
      return { db, coll, ops: [{ kind: 'deleteOne', filter: documentKey }] };
    default:
      throw malformedEvent(`${String(operationType)} is not a data change event`);
  }
}
