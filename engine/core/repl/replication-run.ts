// One run of change replication, from start() to its end (pause, catch-up done, or a fatal error):
//
//   reader --BoundedQueue(repl.eventQueueSize)--> dispatcher --route--> appliers (repl.workers) --> target
//                                                     └─ DDL barrier --> catalog.applyDdl
//
// The first fatal error, wherever it happens, stops everything: the reader stops reading, queued
// events are discarded, retries in progress are cancelled, and what the appliers hold stays
// uncommitted, so the resume point still covers it.
import type { Timestamp } from 'mongodb';
import { FerryError } from '../errors.js';
import type { Catalog, EngineContext } from '../parts.js';
import { Applier } from './applier.js';
import { BoundedQueue } from './bounded-queue.js';
import { BulkWriter } from './bulk-write.js';
import { CappedNamespaces } from './capped-namespaces.js';
import { Dispatcher } from './dispatcher.js';
import { progressOf, type Progress } from './progress.js';
import { ChangeStreamReader, type StreamBatch } from './reader.js';
import { earlierOf } from './times.js';

export interface RunHooks {
  read(events: number): void;
  applied(events: number): void;
  /** The resume point or the last replicated time may have moved. */
  progressed(): void;
}

export class ReplicationRun {
  private failure: FerryError | undefined;
  private readonly cancelled = new AbortController();
  private readonly queue: BoundedQueue<StreamBatch>;
  private readonly reader: ChangeStreamReader;
  private readonly appliers: Applier[];
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly ctx: EngineContext,
    catalog: Catalog,
    readonly from: Timestamp,
    hooks: RunHooks,
  ) {
    const { signal } = this.cancelled;
    this.queue = new BoundedQueue(ctx.repl.eventQueueSize, (depth) => ctx.counters.queueDepth('events', depth));
    this.reader = new ChangeStreamReader(ctx, this.queue, hooks.read);
    const writer = new BulkWriter(ctx, signal);
    const applierHooks = {
      committed: (events: number) => {
        hooks.applied(events);
        hooks.progressed();
      },
      failed: (error: FerryError) => this.fail(error),
    };
    this.appliers = Array.from(
      { length: ctx.repl.workers },
      (_, index) => new Applier(index, ctx, writer, applierHooks),
    );
    const capped = new CappedNamespaces(ctx, signal);
    const dispatcherHooks = { applied: hooks.applied, progressed: hooks.progressed };
    this.dispatcher = new Dispatcher(ctx, catalog, this.queue, this.appliers, capped, dispatcherHooks, signal);
  }

  /** Runs until the reader is stopped and everything read is on the target; rejects on a fatal error. */
  async execute(): Promise<void> {
    const reading = this.reader.run(this.from).catch((error: unknown) => this.fail(error));
    const dispatching = this.dispatcher.run().catch((error: unknown) => this.fail(error));
    await Promise.all([reading, dispatching]);
    if (!this.failure) {
      await Promise.all(this.appliers.map((applier) => applier.drain())).catch((error: unknown) => this.fail(error));
    }
    for (const applier of this.appliers) applier.stop();
    if (this.failure) throw this.failure;
  }

  /** Stops reading; events already read are still applied. */
  stopReading(): void {
    this.reader.stop();
  }

  progress(): Progress {
    let oldest: Timestamp | undefined;
    for (const applier of this.appliers) oldest = earlierOf(oldest, applier.oldestUncommitted);
    return progressOf(this.from, this.dispatcher.readThrough, oldest);
  }

  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = FerryError.from(error);
    this.ctx.log.error('change replication failed', { ...this.failure.toInfo() });
    this.reader.stop();
    this.queue.discard();
    this.cancelled.abort();
  }
}
