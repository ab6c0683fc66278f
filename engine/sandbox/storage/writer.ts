// The only path by which documents change: every insert, replacement and delete is checked (size,
// uniqueness, write blocking), applied to the collection and recorded in the oplog in one step, so the
// oplog and change streams can never disagree with the data.
import { encodeDocument } from '../bson/encode.js';
import { decodeDocument } from '../bson/decode.js';
import type { Long } from '../bson/values.js';
import { Int32, type BsonDoc, type BsonValue, type Timestamp } from '../bson/values.js';
import type { ClusterClock } from '../clock.js';
import { CommandError } from '../errors.js';
import type { Catalog } from './catalog.js';
import type { Collection, StoredDocument } from './collection.js';
import type { ChangeData, Oplog, OplogEntry, OplogOp } from './oplog.js';

import { MAX_BSON_SIZE } from '../limits.js';
const INTERNAL_DATABASES = new Set(['admin', 'config', 'local']);

/** Who is writing: the session and transaction, and a Timestamp shared by a committing transaction. */
export interface WriteContext {
  lsid?: BsonDoc;
  txnNumber?: Long;
  /** Set while a transaction commits: all its entries share one cluster time. */
  ts?: Timestamp;
  txnOpIndex?: number;
  /** Writes by the system (not users) pass a user write block. */
  internal?: boolean;
}

export class Writer {
  userWritesBlocked = false;

  constructor(
    private readonly catalog: Catalog,
    private readonly oplog: Oplog,
    private readonly clock: ClusterClock,
  ) {}

  checkWritable(db: string, ctx: WriteContext): void {
    if (this.userWritesBlocked && !ctx.internal && !INTERNAL_DATABASES.has(db))
      throw new CommandError('UserWritesBlocked', 'User writes blocked');
  }

  /** The collection, created implicitly (as mongod does) when a write needs it. */
  collectionForWrite(db: string, name: string, ctx: WriteContext): Collection {
    const existing = this.catalog.get(db, name);
    if (existing) {
      if (existing.isView)
        throw new CommandError('CommandNotSupportedOnView', `Namespace ${db}.${name} is a view, not a collection`);
      return existing;
    }
    this.checkWritable(db, ctx);
    const options: BsonDoc = new Map();
    const collection = this.catalog.create(db, name, options);
    this.logCommand(
      db,
      new Map<string, BsonValue>([
        ['create', name],
        ['idIndex', collection.indexes.list[0]?.spec ?? null],
      ]),
      ctx,
      {
        operationType: 'create',
        fields: new Map<string, BsonValue>([
          ['operationDescription', new Map([['idIndex', collection.indexes.list[0]?.spec ?? null]])],
        ]),
      },
      collection,
    );
    return collection;
  }

  insert(collection: Collection, doc: BsonDoc, ctx: WriteContext, bytes = encodeDocument(doc)): StoredDocument {
    this.checkWritable(collection.db, ctx);
    checkSize(bytes);
    const id = doc.get('_id');
    if (id === undefined) throw new CommandError('InternalError', 'document has no _id');
    collection.indexes.check(doc);
    const record = collection.add(id, bytes, doc);
    const documentKey = new Map([['_id', id]]);
    this.log('i', collection, doc, undefined, ctx, {
      documentKey,
      fullDocument: bytes,
      ...(imagesEnabled(collection) ? { postImage: bytes } : {}),
    });
    if (collection.isCapped) this.evictCapped(collection);
    return record;
  }

  /**
   * Replaces a stored document. `updateDescription` is given for updates (event type update) and
   * omitted for replacements (event type replace).
   */
  replace(
    collection: Collection,
    record: StoredDocument,
    after: BsonDoc,
    ctx: WriteContext,
    updateDescription?: BsonDoc,
  ): void {
    this.checkWritable(collection.db, ctx);
    const bytes = encodeDocument(after);
    checkSize(bytes);
    const beforeBytes = record.bytes;
    const before = decodeDocument(beforeBytes);
    collection.indexes.check(after, record);
    collection.replace(record, bytes, before, after);
    const documentKey = new Map([['_id', record.id]]);
    const images = imagesEnabled(collection) ? { preImage: beforeBytes, postImage: bytes } : {};
    if (updateDescription) {
      this.log(
        'u',
        collection,
        new Map<string, BsonValue>([
          ['$v', new Int32(2)],
          ['diff', updateDescription],
        ]),
        documentKey,
        ctx,
        {
          documentKey,
          updateDescription,
          ...images,
        },
      );
    } else {
      this.log('u', collection, after, documentKey, ctx, {
        documentKey,
        fullDocument: bytes,
        operationType: 'replace',
        ...images,
      });
    }
  }

  delete(collection: Collection, record: StoredDocument, ctx: WriteContext): void {
    this.checkWritable(collection.db, ctx);
    const before = decodeDocument(record.bytes);
    collection.remove(record, before);
    const documentKey = new Map([['_id', record.id]]);
    this.log('d', collection, documentKey, undefined, ctx, {
      documentKey,
      ...(imagesEnabled(collection) ? { preImage: record.bytes } : {}),
    });
  }

  /** Records a DDL command in the oplog (ns `<db>.$cmd`), with the change event it produces. */
  logCommand(db: string, command: BsonDoc, ctx: WriteContext, change: ChangeData, collection?: Collection): OplogEntry {
    return this.append('c', `${db}.$cmd`, collection?.uuid, command, undefined, ctx, change);
  }

  /** A no-op entry (appendOplogNote). */
  logNote(message: BsonDoc): OplogEntry {
    return this.append('n', '', undefined, message, undefined, {}, {});
  }

  private log(
    op: OplogOp,
    collection: Collection,
    o: BsonDoc,
    o2: BsonDoc | undefined,
    ctx: WriteContext,
    change: ChangeData,
  ): OplogEntry {
    return this.append(op, collection.ns, collection.uuid, o, o2, ctx, change);
  }

  private append(
    op: OplogOp,
    ns: string,
    ui: Collection['uuid'] | undefined,
    o: BsonDoc,
    o2: BsonDoc | undefined,
    ctx: WriteContext,
    change: ChangeData,
  ): OplogEntry {
    const entry: OplogEntry = {
      ts: ctx.ts ?? this.clock.tick(),
      wall: new Date(),
      op,
      ns,
      ui,
      o,
      o2,
      lsid: ctx.lsid,
      txnNumber: ctx.txnNumber,
      txnOpIndex: ctx.txnOpIndex,
      change,
      size:
        64 +
        (change.fullDocument?.length ?? 0) +
        (change.preImage?.length ?? 0) +
        (change.postImage?.length ?? 0) +
        (change.updateDescription ? encodeDocument(change.updateDescription).length : 0),
    };
    if (ctx.ts !== undefined && ctx.txnOpIndex !== undefined) ctx.txnOpIndex += 1;
    this.oplog.append(entry);
    return entry;
  }

  private evictCapped(collection: Collection): void {
    const maxBytes = numberOption(collection.options.get('size'));
    const maxDocs = numberOption(collection.options.get('max'));
    for (const record of collection.natural()) {
      const overSize = maxBytes !== undefined && collection.dataSize > maxBytes;
      const overCount = maxDocs !== undefined && maxDocs > 0 && collection.count > maxDocs;
      if (!overSize && !overCount) break;
      // Capped deletions are not replicated as user deletes on 8.0; they leave no change event.
      collection.remove(record, decodeDocument(record.bytes));
    }
  }
}

function checkSize(bytes: Buffer): void {
  if (bytes.length > MAX_BSON_SIZE)
    throw new CommandError(
      'BSONObjectTooLarge',
      `object to insert too large. size in bytes: ${bytes.length}, max size: ${MAX_BSON_SIZE}`,
    );
}

function imagesEnabled(collection: Collection): boolean {
  const option = collection.options.get('changeStreamPreAndPostImages');
  return option instanceof Map && option.get('enabled') === true;
}

export function numberOption(value: BsonValue | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && '_bsontype' in value) {
    if (value._bsontype === 'Int32' || value._bsontype === 'Double') return value.value;
    if (value._bsontype === 'Long') return value.toNumber();
    if (value._bsontype === 'Decimal128') return Number(value.toString());
  }
  return undefined;
}
