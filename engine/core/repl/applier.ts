// An applier: one replication worker. The dispatcher hands it the writes of the events routed to it,
// in stream order; it gathers them into a batch, grouped by namespace, and writes the batch when it
// holds repl.bulkOps ops or repl.flushIntervalMs after its first event, whichever comes first. One
// batch is written while the next one fills; when that one is full too, add() waits, which holds
// the dispatcher back (backpressure).
//
// For the resume point the applier reports the time of the oldest event it holds but has not
// committed: a restart must read from there, since writes are only known to be on the target once
// their batch is acknowledged.
import type { Timestamp } from 'mongodb';
import { FerryError } from '../errors.js';
import type { EngineContext } from '../parts.js';
import type { BulkWriter, NamespaceWrites } from './bulk-write.js';
import type { WriteOp } from './translate.js';

interface Batch {
  /** namespace → its writes, in stream order. */
  writes: Map<string, NamespaceWrites>;
  ops: number;
  events: number;
  first: Timestamp;
  last: Timestamp;
}

export interface ApplierHooks {
  /** A batch is on the target. */
  committed(events: number): void;
  failed(error: FerryError): void;
}

export class Applier {
  /** Time of the last event on the target. */
  lastCommitted: Timestamp | undefined;
  private filling: Batch | undefined;
  /** Sealed batches in order; the first is being written. */
  private readonly sealed: Batch[] = [];
  private writing = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private failure: FerryError | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    readonly index: number,
    private readonly ctx: EngineContext,
    private readonly writer: BulkWriter,
    private readonly hooks: ApplierHooks,
  ) {}

  /** Adds one event's writes (all in the same batch); waits while two batches are waiting already. */
  async add(db: string, coll: string, ops: WriteOp[], time: Timestamp): Promise<void> {
    this.throwIfFailed();
    const batch = (this.filling ??= this.open(time));
    const namespace = `${db}.${coll}`;
    let writes = batch.writes.get(namespace);
    if (!writes) batch.writes.set(namespace, (writes = { db, coll, ops: [] }));
    writes.ops.push(...ops);
    batch.ops += ops.length;
    batch.events++;
    batch.last = time;
    if (batch.ops >= this.ctx.repl.bulkOps) this.seal();
    this.reportDepth();
    while (this.sealed.length > 1 && !this.failure) await this.progress();
    this.throwIfFailed();
  }

  /** Writes everything held and resolves once it is on the target (a barrier, a pause). */
  async drain(): Promise<void> {
    this.seal();
    while (this.sealed.length > 0 && !this.failure) await this.progress();
    this.throwIfFailed();
  }

  /** The oldest event held but not yet on the target. */
  get oldestUncommitted(): Timestamp | undefined {
    return this.sealed[0]?.first ?? this.filling?.first;
  }

  /** Stops the flush timer; what is held stays uncommitted (the run is over). */
  stop(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private open(time: Timestamp): Batch {
    this.flushTimer = setTimeout(() => this.seal(), this.ctx.repl.flushIntervalMs);
    this.flushTimer.unref();
    return { writes: new Map(), ops: 0, events: 0, first: time, last: time };
  }

  private seal(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.filling) return;
    this.sealed.push(this.filling);
    this.filling = undefined;
    if (!this.writing) void this.writeSealed();
  }

  private async writeSealed(): Promise<void> {
    this.writing = true;
    try {
      while (this.sealed.length > 0 && !this.failure) {
        const batch = this.sealed[0];
        const started = performance.now();
        try {
          await this.write(batch);
        } catch (error) {
          this.failure = FerryError.from(error);
          this.hooks.failed(this.failure);
          return;
        }
        this.sealed.shift();
        this.lastCommitted = batch.last;
        this.ctx.counters.flush(this.index, batch.ops, (performance.now() - started) / 1000);
        this.ctx.counters.workerEventsApplied(this.index, batch.events);
        this.reportDepth();
        this.hooks.committed(batch.events);
        this.wakeWaiters();
      }
    } finally {
      // Cleared before any later seal() can look: the loop's last check and this run together.
      this.writing = false;
      this.wakeWaiters();
    }
  }

  /** Namespaces are independent, so they are written side by side; each one in order. */
  private async write(batch: Batch): Promise<void> {
    const results = await Promise.allSettled([...batch.writes.values()].map((writes) => this.writer.write(writes)));
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }

  private progress(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private reportDepth(): void {
    let ops = this.filling?.ops ?? 0;
    for (const batch of this.sealed) ops += batch.ops;
    this.ctx.counters.queueDepth(`worker-${this.index}`, ops);
  }
}
