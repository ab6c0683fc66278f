// The document images a change stream adds to events: for updates, the current document
// (fullDocument: 'updateLookup') or the stored post-image ('whenAvailable' / 'required'); for updates,
// replacements and deletes, the stored pre-image (fullDocumentBeforeChange). The writer stores images
// only for collections that had changeStreamPreAndPostImages enabled at the time of the write.
import { RawDocument, type BsonValue, type Timestamp } from '../bson/values.js';
import { formatValue } from '../bson/format.js';
import { CommandError } from '../errors.js';
import type { Catalog } from '../storage/catalog.js';
import { namespaceDoc, type Change } from './events.js';

const NO_MATCHING_DOCUMENT = 47;

export type FullDocumentMode = 'default' | 'updateLookup' | 'whenAvailable' | 'required';
export type FullDocumentBeforeChangeMode = 'off' | 'whenAvailable' | 'required';

/** The fullDocument of an update event, or undefined to leave the field out. */
export function postImageFor(change: Change, mode: FullDocumentMode, catalog: Catalog): BsonValue | undefined {
  if (change.operationType !== 'update' || mode === 'default') return undefined;
  if (mode === 'updateLookup') return currentDocument(change, catalog);
  const image = change.entry.change.postImage;
  if (image) return new RawDocument(image);
  if (mode === 'required')
    throw new CommandError(
      NO_MATCHING_DOCUMENT,
      `Change stream was configured to require a post-image for all update events, but the post-image was not found for event: ${describe(change)}`,
    );
  return null;
}

/** The fullDocumentBeforeChange of an event, or undefined to leave the field out. */
export function preImageFor(change: Change, mode: FullDocumentBeforeChangeMode): BsonValue | undefined {
  if (mode === 'off' || !['update', 'replace', 'delete'].includes(change.operationType)) return undefined;
  const image = change.entry.change.preImage;
  if (image) return new RawDocument(image);
  if (mode === 'required')
    throw new CommandError(
      NO_MATCHING_DOCUMENT,
      `Change stream was configured to require a pre-image for all update, delete and replace events, but the pre-image was not found for event: ${describe(change)}`,
    );
  return null;
}

/** The document as it is now, or null when it (or its collection) is gone. */
function currentDocument(change: Change, catalog: Catalog): BsonValue {
  const { db, coll } = change.ns;
  const collection = coll === undefined ? undefined : catalog.get(db, coll);
  const id = change.documentKey?.get('_id');
  // A collection of the same name created since is another collection: its documents do not count.
  if (
    !collection ||
    id === undefined ||
    (change.uuid && !Buffer.from(collection.uuid.buffer).equals(change.uuid.buffer))
  )
    return null;
  const record = collection.findById(id);
  return record ? new RawDocument(record.bytes) : null;
}

/** The event as mongod names it in image errors. */
function describe(change: Change): string {
  const time = change.entry.ts;
  const parts = [
    `operationType: ${formatValue(change.operationType)}`,
    `ns: ${formatValue(namespaceDoc(change.ns))}`,
    `clusterTime: ${timestampText(time)}`,
  ];
  if (change.entry.txnOpIndex !== undefined && change.entry.txnNumber)
    parts.push(`txnNumber: ${change.entry.txnNumber.toString()}`);
  return `{${parts.join(', ')}}`;
}

function timestampText(time: Timestamp): string {
  return `Timestamp(${time.t}, ${time.i})`;
}
