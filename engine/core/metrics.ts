// The engine's numbers, kept twice: as running totals (read by the status snapshot and saved in the
// checkpoint, so a restarted engine keeps counting from where it was) and as a private prom-client
// registry of `ferry_*` metrics for /metrics (PCSM's set, pcsm.md §9, plus Node's process metrics).
// Parts report through the EngineCounters interface and never see prom-client.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineCounters } from './parts.js';

/** What survives a restart (saved in the checkpoint). */
export interface CounterTotals {
  eventsRead: number;
  eventsApplied: number;
  clonedDocuments: number;
  clonedBytes: number;
}

export const zeroTotals: CounterTotals = { eventsRead: 0, eventsApplied: 0, clonedDocuments: 0, clonedBytes: 0 };

export class EngineMetrics implements EngineCounters {
  readonly registry = new Registry();
  private readonly totalsNow: CounterTotals = { ...zeroTotals };

  private readonly eventsReadTotal = this.counter('ferry_events_read_total', 'Change events read from the source');
  private readonly eventsAppliedTotal = this.counter(
    'ferry_events_applied_total',
    'Change events applied to the target (DDL included)',
  );
  private readonly lag = this.gauge('ferry_lag_seconds', 'Source cluster time minus the last replicated time');
  private readonly initialSyncLag = this.gauge(
    'ferry_initial_sync_lag_seconds',
    'Clone finish time minus the last replicated time, until initial sync completes',
  );
  private readonly estimatedBytes = this.gauge('ferry_clone_estimated_bytes', 'Estimated size of the clone');
  private readonly copiedBytes = this.gauge('ferry_clone_copied_bytes', 'Bytes copied by the clone so far');
  private readonly readDocuments = this.counter('ferry_clone_read_documents_total', 'Documents read by the clone');
  private readonly readBytes = this.counter('ferry_clone_read_bytes_total', 'Bytes read by the clone');
  private readonly insertDocuments = this.counter(
    'ferry_clone_insert_documents_total',
    'Documents inserted by the clone',
  );
  private readonly insertBytes = this.counter('ferry_clone_insert_bytes_total', 'Bytes inserted by the clone');
  private readonly readBatchSeconds = this.gauge(
    'ferry_clone_read_batch_duration_seconds',
    'Duration of the latest clone batch read from the source',
  );
  private readonly insertBatchSeconds = this.gauge(
    'ferry_clone_insert_batch_duration_seconds',
    'Duration of the latest clone batch insert on the target',
  );
  private readonly queueDepthGauge = new Gauge({
    name: 'ferry_repl_queue_depth',
    help: 'Events waiting: the reader queue (events) and each applier queue (worker-N)',
    labelNames: ['queue'],
    registers: [this.registry],
  });
  private readonly workerEventsAppliedTotal = new Counter({
    name: 'ferry_repl_worker_events_applied_total',
    help: 'Change events applied to the target by each applier',
    labelNames: ['worker'],
    registers: [this.registry],
  });
  private readonly flushOps = new Histogram({
    name: 'ferry_repl_flush_ops',
    help: 'Writes per applier flush',
    labelNames: ['worker'],
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000],
    registers: [this.registry],
  });
  private readonly flushSeconds = new Histogram({
    name: 'ferry_repl_flush_duration_seconds',
    help: 'Duration of an applier flush',
    labelNames: ['worker'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ferry_' });
  }

  /** Continues counting from a checkpoint's totals. */
  restore(totals: CounterTotals): void {
    this.eventsRead(totals.eventsRead);
    this.eventsApplied(totals.eventsApplied);
    this.totalsNow.clonedDocuments += totals.clonedDocuments;
    this.totalsNow.clonedBytes += totals.clonedBytes;
    this.copiedBytes.set(this.totalsNow.clonedBytes);
  }

  /** Back to zero for a new run (the process metrics keep counting). */
  reset(): void {
    Object.assign(this.totalsNow, zeroTotals);
    for (const metric of [
      this.eventsReadTotal,
      this.eventsAppliedTotal,
      this.lag,
      this.initialSyncLag,
      this.estimatedBytes,
      this.copiedBytes,
      this.readDocuments,
      this.readBytes,
      this.insertDocuments,
      this.insertBytes,
      this.readBatchSeconds,
      this.insertBatchSeconds,
      this.queueDepthGauge,
      this.workerEventsAppliedTotal,
      this.flushOps,
      this.flushSeconds,
    ]) {
      metric.reset();
    }
  }

  totals(): CounterTotals {
    return { ...this.totalsNow };
  }

  // EngineCounters -----------------------------------------------------------------------------

  cloneReadDocuments(count: number, bytes: number): void {
    this.readDocuments.inc(count);
    this.readBytes.inc(bytes);
  }

  cloneInsertedDocuments(count: number, bytes: number): void {
    this.insertDocuments.inc(count);
    this.insertBytes.inc(bytes);
    this.totalsNow.clonedDocuments += count;
    this.totalsNow.clonedBytes += bytes;
    this.copiedBytes.set(this.totalsNow.clonedBytes);
  }

  cloneReadBatchDuration(seconds: number): void {
    this.readBatchSeconds.set(seconds);
  }

  cloneInsertBatchDuration(seconds: number): void {
    this.insertBatchSeconds.set(seconds);
  }

  eventsRead(count: number): void {
    this.eventsReadTotal.inc(count);
    this.totalsNow.eventsRead += count;
  }

  eventsApplied(count: number): void {
    this.eventsAppliedTotal.inc(count);
    this.totalsNow.eventsApplied += count;
  }

  workerEventsApplied(worker: number, events: number): void {
    this.workerEventsAppliedTotal.inc({ worker: String(worker) }, events);
  }

  flush(worker: number, ops: number, seconds: number): void {
    const labels = { worker: String(worker) };
    this.flushOps.observe(labels, ops);
    this.flushSeconds.observe(labels, seconds);
  }

  queueDepth(name: 'events' | `worker-${number}`, depth: number): void {
    this.queueDepthGauge.set({ queue: name }, depth);
  }

  // Gauges the engine derives ----------------------------------------------------------------------

  setLag(seconds: number, initialSyncSeconds: number | undefined): void {
    this.lag.set(seconds);
    this.initialSyncLag.set(initialSyncSeconds ?? 0);
  }

  setEstimatedCloneBytes(bytes: number): void {
    this.estimatedBytes.set(bytes);
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] });
  }
}
