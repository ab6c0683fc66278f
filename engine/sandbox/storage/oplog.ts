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
  /** For DDL events: the event's operationType and its extra fields (to, operationDescription, ...). */
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
    return low;
  }

  /** The entry at an absolute position, or undefined once evicted or not yet written. */
  at(position: number): OplogEntry | undefined {
    return position >= this.head ? this.entries[position] : undefined;
  }

  /** True when the entry at `position` has been evicted. */
  isEvicted(position: number): boolean {
    return position < this.head;
  }

  get endPosition(): number {
    return this.entries.length;
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
