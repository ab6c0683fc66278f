// The sandbox's oplog: every write appends an entry with a strictly increasing Timestamp. It is capped
// by size like a real oplog, so a change stream that falls too far behind loses its history.
import { EventEmitter } from 'node:events';
import { compareTimestamps } from '../clock.js';
import type { Binary, BsonDoc, Long, Timestamp } from '../bson/values.js';

export type OplogOp = 'i' | 'u' | 'd' | 'c' | 'n';

/** What a change stream needs to render an event, recorded when the write happens. */
export interface ChangeData {
  documentKey?: BsonDoc;
  /** The document after an insert or replace (its exact bytes). */
  fullDocument?: Buffer;
  updateDescription?: BsonDoc;
  /** Images kept only for collections with changeStreamPreAndPostImages enabled. */
  preImage?: Buffer;
  postImage?: Buffer;
  /**
   * For DDL ('c' entries on `<db>.$cmd`, written by storage/ddl-log.ts): the event's operationType and
   * the extra fields MongoDB 8.0 puts in it. The event's ns is the entry's database with the collection
   * named in `o` (o.create, o.drop, o.collMod, o.createIndexes, o.commitIndexBuild, o.dropIndexes; for a
   * rename the full namespace o.renameCollection; none for dropDatabase). collectionUUID is the entry's
   * `ui`, which for view events is the UUID of <db>.system.views, as mongod reports it.
   * Per operationType, `fields` holds:
   * - create: {operationDescription}: o without `create` — a collection's options as stored
   *   (capped, size, max, validator..., collation, clusteredIndex...) and idIndex; a view's
   *   {viewOn, pipeline, collation?}.
   * - drop, dropDatabase: nothing. dropDatabase is preceded by one drop entry per collection.
   * - rename: {to: {db, coll}, operationDescription: {to: {db, coll}, dropTarget?: <UUID of the
   *   collection the rename replaced>}}.
   * - createIndexes: {operationDescription: {indexes: [spec, ...]}} — the stored specs; one entry for
   *   all indexes of a build over documents (o.commitIndexBuild), one entry per index on an empty
   *   collection (o.createIndexes), as mongod logs them.
   * - dropIndexes: {operationDescription: {indexes: [spec]}}, one entry per dropped index (o2 = spec).
   * - modify: {operationDescription, stateBeforeChange?}. For a collection operationDescription is o
   *   without `collMod` (the options that changed, and `index: {name, <changed index options>}`) and
   *   stateBeforeChange is {collectionOptions: {uuid, ...options before}, indexOptions?: {<index
   *   options before>}} (o2 holds the same as {collectionOptions_old, indexOptions_old?}, as in
   *   mongod's oplog); for a view operationDescription is its new {viewOn, pipeline, collation?} and
   *   there is no stateBeforeChange.
   * A view's DDL is also mirrored, as in mongod, by an ordinary 'i'/'u'/'d' write to
   * <db>.system.views ({_id: '<db>.<view>', viewOn, pipeline, collation?}); a stream must report one of
   * the two (mongod reports the system.views write), and the view's 'c' entry is recognisable by its
   * `ui` being system.views' UUID.
   */
  operationType?: string;
  fields?: BsonDoc;
}

export interface OplogEntry {
  ts: Timestamp;
  wall: Date;
  op: OplogOp;
  ns: string;
  ui?: Binary;
  o: BsonDoc;
  o2?: BsonDoc;
  lsid?: BsonDoc;
  txnNumber?: Long;
  /** Position within a transaction's operations (for resume tokens). */
  txnOpIndex?: number;
  change: ChangeData;
  size: number;
}

export class Oplog {
  private entries: OplogEntry[] = [];
  private head = 0;
  /** Entries dropped from the front of `entries` by compaction, so positions stay absolute. */
  private base = 0;
  private bytes = 0;
  /** Set once an entry has been evicted: older start points are then history lost. */
  truncatedBefore?: Timestamp;
  private readonly emitter = new EventEmitter();

  constructor(private readonly maxBytes: number) {
    this.emitter.setMaxListeners(0);
  }

  get length(): number {
    return this.entries.length - this.head;
  }

  first(): OplogEntry | undefined {
    return this.entries[this.head];
  }

  last(): OplogEntry | undefined {
    return this.entries.length > this.head ? this.entries[this.entries.length - 1] : undefined;
  }

  append(entry: OplogEntry): void {
    this.entries.push(entry);
    this.bytes += entry.size;
    while (this.bytes > this.maxBytes && this.length > 1) {
      const evicted = this.entries[this.head++];
      this.bytes -= evicted.size;
      this.truncatedBefore = this.entries[this.head].ts;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
    this.emitter.emit('append');
  }

  /** Index (for `at`) of the first entry whose ts is >= `ts` (or > when `exclusive`). */
  positionOf(ts: Timestamp, exclusive = false): number {
    let low = this.head;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const order = compareTimestamps(this.entries[mid].ts, ts);
      if (order < 0 || (exclusive && order === 0)) low = mid + 1;
      else high = mid;
    }
    return this.base + low;
  }

  /** The entry at an absolute position, or undefined once evicted or not yet written. */
  at(position: number): OplogEntry | undefined {
    return this.isEvicted(position) ? undefined : this.entries[position - this.base];
  }

  /** True when the entry at `position` has been evicted. */
  isEvicted(position: number): boolean {
    return position - this.base < this.head;
  }

  get endPosition(): number {
    return this.base + this.entries.length;
  }

  /** Resolves when a new entry is appended or after `ms`, whichever comes first. */
  waitForAppend(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.emitter.off('append', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.once('append', done);
    });
  }

  /** Every entry, oldest first (for persistence). */
  *all(): Generator<OplogEntry> {
    for (let i = this.head; i < this.entries.length; i++) yield this.entries[i];
  }
}
