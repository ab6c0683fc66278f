// Open cursors, shared by find, aggregate, listCollections, listIndexes and change streams. A cursor
// hands out batches until exhausted; getMore may wait (maxTimeMS) for tailable and change-stream data.
import { Long, type BsonDoc, type EncodableValue } from './bson/values.js';

export interface Batch {
  documents: EncodableValue[];
  /** True once nothing more will ever come (the cursor can be closed). */
  exhausted: boolean;
  /** Change streams report the resume token after the batch. */
  postBatchResumeToken?: BsonDoc;
}

export interface BatchOptions {
  batchSize?: number;
  /** How long getMore may wait for new data on tailable/change-stream cursors. */
  awaitMs: number;
  isFirstBatch: boolean;
}

export interface CursorSource {
  nextBatch(options: BatchOptions): Promise<Batch> | Batch;
  close?(): void;
  /** Tailable cursors and change streams stay open when a batch is empty. */
  readonly tailable?: boolean;
  /** Change streams read the oplog, not a collection: dropping their namespace does not kill them. */
  readonly readsOplog?: boolean;
}

export interface OpenCursor {
  readonly id: Long;
  readonly ns: string;
  readonly source: CursorSource;
  /** Cursors opened under a session: killed with it. */
  readonly lsidKey?: string;
  readonly createdBy?: string;
  lastUsed: number;
  busy: boolean;
}

export const MAX_BATCH_BYTES = 16 * 1024 * 1024;
export const DEFAULT_FIRST_BATCH = 101;

/** A cursor over documents that are all known when it opens (find, aggregate, list*). */
export class ArraySource implements CursorSource {
  private position = 0;
  constructor(
    private readonly documents: EncodableValue[],
    private readonly sizeOf: (doc: EncodableValue) => number = () => 0,
  ) {}

  nextBatch({ batchSize, isFirstBatch }: BatchOptions): Batch {
    const limit = batchSize && batchSize > 0 ? batchSize : isFirstBatch ? DEFAULT_FIRST_BATCH : Infinity;
    const out: EncodableValue[] = [];
    let bytes = 0;
    while (this.position < this.documents.length && out.length < limit) {
      const doc = this.documents[this.position];
      const size = this.sizeOf(doc);
      if (out.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
      out.push(doc);
      this.position++;
    }
    return { documents: out, exhausted: this.position >= this.documents.length };
  }
}

export class CursorManager {
  private readonly cursors = new Map<string, OpenCursor>();
  private nextId = BigInt(Date.now()) * 1000n;

  open(ns: string, source: CursorSource, lsidKey?: string, createdBy?: string): OpenCursor {
    this.nextId += BigInt(1 + Math.floor(Math.random() * 997));
    const cursor: OpenCursor = {
      id: Long.fromBigInt(this.nextId),
      ns,
      source,
      lsidKey,
      createdBy,
      lastUsed: Date.now(),
      busy: false,
    };
    this.cursors.set(cursor.id.toString(), cursor);
    return cursor;
  }

  get(id: Long): OpenCursor | undefined {
    return this.cursors.get(id.toString());
  }

  kill(id: Long): boolean {
    const cursor = this.cursors.get(id.toString());
    if (!cursor) return false;
    this.cursors.delete(id.toString());
    cursor.source.close?.();
    return true;
  }

  killForSession(lsidKey: string): void {
    for (const cursor of this.cursors.values()) if (cursor.lsidKey === lsidKey) this.kill(cursor.id);
  }

  killForNamespace(ns: string): void {
    for (const cursor of this.cursors.values())
      if (!cursor.source.readsOplog && (cursor.ns === ns || cursor.ns.startsWith(`${ns}.`))) this.kill(cursor.id);
  }

  list(): OpenCursor[] {
    return [...this.cursors.values()];
  }

  closeAll(): void {
    for (const cursor of [...this.cursors.values()]) this.kill(cursor.id);
  }
}
