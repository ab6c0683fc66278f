// The only path by which documents change: every insert, replacement and delete is checked (size,
// uniqueness, write blocking), applied to the collection and recorded in the oplog in one step, so the
// oplog and change streams can never disagree with the data. Inside a transaction the entries wait in
// its TransactionLog, with an inverse for every change, until it commits or aborts.
import { encodeDocument } from '../bson/encode.js';
import { decodeDocument } from '../bson/decode.js';
import type { Long } from '../bson/values.js';
import { Int32, Timestamp, type BsonDoc, type BsonValue } from '../bson/values.js';
import type { ClusterClock } from '../clock.js';
import { CommandError } from '../errors.js';
import type { Catalog } from './catalog.js';
import type { Collection, StoredDocument } from './collection.js';
import type { ChangeData, Oplog, OplogEntry, OplogOp } from './oplog.js';
import { logCreate } from './ddl-log.js';

import { MAX_BSON_SIZE } from '../limits.js';
const INTERNAL_DATABASES = new Set(['admin', 'config', 'local']);

/**
 * The pending effects of a multi-document transaction: its oplog entries, held back until commit, and
 * the inverse of every change it made, applied in reverse order if it aborts.
 */
export interface TransactionLog {
  readonly entries: OplogEntry[];
  readonly undo: (() => void)[];
}

/** Who is writing: the session, and the transaction whose log collects the changes. */
export interface WriteContext {
  lsid?: BsonDoc;
  txnNumber?: Long;
  transaction?: TransactionLog;
  /** Writes by the system (not users) pass a user write block. */
  internal?: boolean;
}

// Held transaction entries get their real Timestamp when the transaction commits.
const PENDING_TIMESTAMP = new Timestamp({ t: 0, i: 0 });

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
    return this.createCollection(db, name, new Map(), ctx);
  }

  /**
   * Creates a collection or view (the caller checked the name is free) and, for a collection, records
   * its create event; a view's event is the caller's write of its definition to system.views.
   * `idIndex` replaces the default _id index spec (a collection with a collation gives it that collation).
   */
  createCollection(db: string, name: string, options: BsonDoc, ctx: WriteContext, idIndex?: BsonDoc): Collection {
    this.checkWritable(db, ctx);
    const collection = this.catalog.create(db, name, options, undefined, idIndex);
    ctx.transaction?.undo.push(() => {
      if (this.catalog.get(db, name) === collection) this.catalog.drop(db, name);
    });
    if (!collection.isView) logCreate(this, collection, ctx);
    return collection;
  }

  insert(collection: Collection, doc: BsonDoc, ctx: WriteContext, bytes = encodeDocument(doc)): StoredDocument {
    this.checkWritable(collection.db, ctx);
    checkSize(bytes);
    const id = doc.get('_id');
    if (id === undefined) throw new CommandError('InternalError', 'document has no _id');
    checkTransactionTarget(collection, ctx);
    collection.indexes.check(doc);
    const record = collection.add(id, bytes, doc);
    ctx.transaction?.undo.push(() => {
      if (collection.records.get(record.rid) === record) collection.remove(record, doc);
    });
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
    checkTransactionTarget(collection, ctx);
    collection.indexes.check(after, record);
    collection.replace(record, bytes, before, after);
    ctx.transaction?.undo.push(() => {
      if (collection.records.get(record.rid) === record) collection.replace(record, beforeBytes, after, before);
    });
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
    checkTransactionTarget(collection, ctx);
    const before = decodeDocument(record.bytes);
    collection.remove(record, before);
    ctx.transaction?.undo.push(() => {
      if (!collection.findById(record.id)) collection.restore(record, before);
    });
    const documentKey = new Map([['_id', record.id]]);
    this.log('d', collection, documentKey, undefined, ctx, {
      documentKey,
      ...(imagesEnabled(collection) ? { preImage: record.bytes } : {}),
    });
  }

  /** Records a DDL command in the oplog (ns `<db>.$cmd`), with the change event it produces. */
  logCommand(
    db: string,
    command: BsonDoc,
    ctx: WriteContext,
    change: ChangeData,
    collection?: Collection,
    o2?: BsonDoc,
  ): OplogEntry {
    return this.append('c', `${db}.$cmd`, collection?.uuid, command, o2, ctx, change);
  }

  /**
   * Publishes a committed transaction's held entries: they share one fresh cluster Timestamp and are
   * numbered by txnOpIndex in the order they were written. Returns that Timestamp (none when nothing
   * was written).
   */
  commitTransaction(transaction: TransactionLog): Timestamp | undefined {
    if (transaction.entries.length === 0) return undefined;
    const ts = this.clock.tick();
    const wall = new Date();
    transaction.entries.forEach((entry, txnOpIndex) => {
      entry.ts = ts;
      entry.wall = wall;
      entry.txnOpIndex = txnOpIndex;
      this.oplog.append(entry);
    });
    return ts;
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
      ts: ctx.transaction ? PENDING_TIMESTAMP : this.clock.tick(),
      wall: new Date(),
      op,
      ns,
      ui,
      o,
      o2,
      lsid: ctx.lsid,
      txnNumber: ctx.txnNumber,
      change,
      size:
        64 +
        (change.fullDocument?.length ?? 0) +
        (change.preImage?.length ?? 0) +
        (change.postImage?.length ?? 0) +
        (change.updateDescription ? encodeDocument(change.updateDescription).length : 0),
    };
    if (ctx.transaction) ctx.transaction.entries.push(entry);
    else this.oplog.append(entry);
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

function checkTransactionTarget(collection: Collection, ctx: WriteContext): void {
  if (ctx.transaction && collection.isCapped)
    throw new CommandError(
      'OperationNotSupportedInTransaction',
      `Collection '${collection.ns}' is a capped collection. Writes in transactions are not allowed on capped collections.`,
    );
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
