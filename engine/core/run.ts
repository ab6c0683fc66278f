// One migration run: the clone, then change replication from T0, and what must be saved so that a
// restarted engine carries on where it stopped (ARCHITECTURE.md Engine §3-§6). The engine (engine.ts)
// owns the state machine and decides when a run executes, stops or finalizes; the run does the work
// and answers what it has done.
//
// A run is always built from a RunCheckpoint, whether the engine has just started it, resumed it
// after a pause or found it on the target after a crash: the same path every time, so the recovery
// path is the one every pause and resume exercises.
//
// Order of work, as in PCSM: the clone copies everything (not a snapshot: it reads at majority while
// the source keeps changing), then replication replays every event from T0 with idempotent writes,
// which converges the target. Replication cannot run beside the clone: an update applied before the
// clone inserts the document would be lost. Until the clone has finished, the resume point stays T0.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Timestamp } from 'mongodb';
import type { CollectionProgress, FerryErrorInfo, OpTime } from '../protocol.js';
import type { FinalizeRecord, RunCheckpoint } from './checkpoint.js';
import type { ClonerOptions } from './clone/cloner.js';
import { clusterTime, type ClusterIdentity } from './connections.js';
import { classify, FerryError } from './errors.js';
import type { CounterTotals } from './metrics.js';
import { createNamespaceFilter } from './namespaces.js';
import type { Catalog, CloneCheckpoint, Cloner, EngineContext, Replicator } from './parts.js';
import { formatOpTime } from './repl/resume-token.js';
import { laterOf } from './repl/times.js';
import type { StatusFacts } from './status.js';

/** How a run builds its parts; the engine passes the real ones, tests may pass others. */
export interface RunParts {
  createCatalog(ctx: EngineContext): Catalog;
  createCloner(ctx: EngineContext, catalog: Catalog, options: ClonerOptions): Cloner;
  createReplicator(ctx: EngineContext, catalog: Catalog): Replicator;
}

/** Transient failures of a whole step (after the parts' own retries) are retried at this pace, without end. */
const RETRY_INITIAL_MS = 1000;
const RETRY_MAX_MS = 30_000;

export class Run {
  readonly runId: string;
  readonly ctx: EngineContext;
  readonly catalog: Catalog;
  readonly replicator: Replicator;
  readonly options: RunCheckpoint['options'];
  readonly startTime: Timestamp;
  readonly sourceIdentity: ClusterIdentity;
  readonly targetIdentity: ClusterIdentity;
  cloneFinishTime: Timestamp | undefined;
  cloneCompleted: boolean;
  replicationStarted: boolean;
  error: FerryErrorInfo | undefined;
  finalization: FinalizeRecord | undefined;
  /** A transient error the run is waiting out, shown in the status until the step succeeds. */
  retrying: FerryErrorInfo | undefined;

  private cloner: Cloner | undefined;
  private savedClone: CloneCheckpoint;
  /**
   * False only before the first cloner of a freshly started run. Any later cloner (after a pause, a
   * transient failure or a restart) gets the clone checkpoint, so it drops and recreates namespaces
   * that an earlier cloner may have created without recording them as prepared.
   */
  private cloneStarted: boolean;
  /** The change stream is being read by this run's steps (not by finalize's catch-up). */
  private replicationActive = false;
  private savedResumePoint: Timestamp | undefined;
  private savedLastReplicated: Timestamp | undefined;
  private stopping = false;
  private stopSignal = new AbortController();
  private executing: Promise<void> | undefined;

  constructor(
    checkpoint: RunCheckpoint,
    deps: Omit<EngineContext, 'filter' | 'metadataDb' | 'clone' | 'repl'>,
    private readonly parts: RunParts,
    /** Built by start() rather than from a checkpoint of an earlier process, pause or failure. */
    fresh = false,
  ) {
    const { options } = checkpoint;
    this.runId = checkpoint.runId;
    this.options = options;
    this.ctx = {
      ...deps,
      filter: createNamespaceFilter({
        include: options.includeNamespaces,
        exclude: options.excludeNamespaces,
        metadataDb: options.metadataDb,
      }),
      metadataDb: options.metadataDb,
      clone: options.clone,
      repl: options.repl,
    };
    this.catalog = parts.createCatalog(this.ctx);
    this.catalog.load(checkpoint.catalog);
    this.replicator = parts.createReplicator(this.ctx, this.catalog);
    this.startTime = checkpoint.startTime;
    this.sourceIdentity = checkpoint.source;
    this.targetIdentity = checkpoint.target;
    this.cloneFinishTime = checkpoint.cloneFinishTime;
    this.cloneCompleted = checkpoint.cloneCompleted;
    this.replicationStarted = checkpoint.replicationStarted;
    this.savedClone = checkpoint.clone;
    this.cloneStarted = !fresh;
    this.savedResumePoint = checkpoint.resumePoint;
    this.savedLastReplicated = checkpoint.lastReplicated;
    this.error = checkpoint.error;
    this.finalization = checkpoint.finalization;
  }

  /** Where a restart must read the change stream from: T0 until replication has started. */
  get resumePoint(): Timestamp {
    if (!this.replicationStarted) return this.startTime;
    return this.replicator.resumePoint ?? this.savedResumePoint ?? this.startTime;
  }

  /** Never backwards: a restarted replicator replays from the resume point, before what was saved. */
  get lastReplicated(): Timestamp | undefined {
    return laterOf(this.replicator.lastReplicated, this.savedLastReplicated);
  }

  /** stop() or detach() was called: the run ending now is expected. */
  get stopRequested(): boolean {
    return this.stopping;
  }

  /** Whether the change stream is being read by the run now (finalize then catches up on it). */
  get replicating(): boolean {
    return this.replicationActive;
  }

  /**
   * Clone what is left, then replicate until stopped. Resolves when stop() was called (or replication
   * ended by itself, e.g. after a catch-up); rejects with a FerryError on a fatal error.
   */
  execute(): Promise<void> {
    if (!this.executing) {
      this.stopping = false;
      this.stopSignal = new AbortController();
    }
    this.executing ??= this.executeSteps().finally(() => {
      this.executing = undefined;
    });
    return this.executing;
  }

  /** Stops at the next segment boundary (clone) or after applying what was read (replication). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    await this.cloner?.pause();
    await this.replicator.pause();
    await this.executing?.catch(() => undefined);
  }

  /** Marks the run as stopping without waiting: finalize's catch-up ends replication itself. */
  detach(): void {
    this.stopping = true;
  }

  collections(): CollectionProgress[] {
    if (this.cloner) return this.cloner.progress();
    // No cloner in this process (recovered after the clone): what the checkpoint says.
    const byNamespace = new Map<string, CollectionProgress>();
    for (const namespace of this.savedClone.preparedNamespaces) {
      byNamespace.set(namespace, {
        namespace,
        kind: 'collection',
        state: this.cloneCompleted ? 'done' : 'pending',
        estimatedBytes: 0,
        copiedBytes: 0,
        copiedDocuments: 0,
        segmentsDone: 0,
        segmentsTotal: 0,
      });
    }
    for (const { segment, done } of this.savedClone.segments) {
      const progress = byNamespace.get(segment.namespace);
      if (!progress) continue;
      progress.segmentsTotal++;
      if (done) progress.segmentsDone++;
    }
    return [...byNamespace.values()];
  }

  /** What the status snapshot shows about this run (status.ts derives the rest). */
  statusFacts(): Partial<StatusFacts> {
    const facts: Partial<StatusFacts> = { runId: this.runId, startTime: opTime(this.startTime) };
    const error = this.error ?? this.retrying;
    if (error) facts.error = error;
    if (this.cloneFinishTime) facts.cloneFinishTime = opTime(this.cloneFinishTime);
    const lastReplicated = this.lastReplicated;
    if (lastReplicated) facts.lastReplicated = opTime(lastReplicated);
    if (this.finalization) {
      const { startedAt, completedAt, unsuccessfulIndexes, countMismatches } = this.finalization;
      const finalization: NonNullable<StatusFacts['finalization']> = {
        completed: completedAt !== undefined,
        startedAt,
        unsuccessfulIndexes,
      };
      if (completedAt) finalization.completedAt = completedAt;
      if (countMismatches) finalization.countMismatches = countMismatches;
      facts.finalization = finalization;
    }
    return facts;
  }

  /** Everything to persist, as of now. */
  checkpoint(state: RunCheckpoint['state'], totals: CounterTotals): RunCheckpoint {
    // The clone first, then the catalog: a namespace the cloner calls prepared has its index specs
    // in the catalog by then.
    const clone = this.cloner?.checkpoint() ?? this.savedClone;
    const checkpoint: RunCheckpoint = {
      runId: this.runId,
      source: this.sourceIdentity,
      target: this.targetIdentity,
      state,
      options: this.options,
      startTime: this.startTime,
      clone,
      cloneCompleted: this.cloneCompleted,
      catalog: this.catalog.state(),
      replicationStarted: this.replicationStarted,
      resumePoint: this.resumePoint,
      totals,
      updatedAt: new Date(),
    };
    const lastReplicated = this.lastReplicated;
    if (this.cloneFinishTime) checkpoint.cloneFinishTime = this.cloneFinishTime;
    if (lastReplicated) checkpoint.lastReplicated = lastReplicated;
    if (this.error) checkpoint.error = this.error;
    if (this.finalization) checkpoint.finalization = this.finalization;
    return checkpoint;
  }

  private async executeSteps(): Promise<void> {
    for (let failures = 0; !this.stopping;) {
      try {
        await this.steps();
        this.retrying = undefined;
        return;
      } catch (error) {
        const info = classify(error);
        if (this.stopping) return;
        if (!info.transient) throw FerryError.from(error);
        failures++;
        const delayMs = Math.min(RETRY_INITIAL_MS * 2 ** (failures - 1), RETRY_MAX_MS);
        this.retrying = info;
        this.ctx.log.warn('the migration hit a transient error; carrying on from the last progress', {
          error: info.message,
          retryInMs: delayMs,
        });
        await sleep(delayMs, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
      }
    }
  }

  private async steps(): Promise<void> {
    if (!this.cloneCompleted && !(await this.clone())) return;
    if (this.stopping) return;
    this.replicator.start(this.resumePoint);
    this.replicationStarted = true;
    this.replicationActive = true;
    this.retrying = undefined;
    try {
      await this.replicator.done;
    } finally {
      this.replicationActive = false;
    }
  }

  /** Copies what is left; true when the clone is complete (false when it was stopped). */
  private async clone(): Promise<boolean> {
    const collections = await this.catalog.listSource();
    if (this.stopping) return false;
    this.cloner = this.parts.createCloner(this.ctx, this.catalog, {
      collections,
      dropExisting: this.options.allowExistingTargetNamespaces,
      ...(this.cloneStarted ? { checkpoint: this.savedClone } : {}),
    });
    this.cloneStarted = true;
    try {
      await this.cloner.run();
    } finally {
      this.savedClone = this.cloner.checkpoint();
    }
    if (!this.cloner.completed) {
      if (this.stopping) return false;
      throw new FerryError({
        code: 'CLONE_INCOMPLETE',
        message: 'the clone ended without copying every collection',
        remedy: 'Resume with fromFailure to copy the rest; report it if it happens again.',
      });
    }
    // Initial sync is complete once replication has applied past this time: every write the clone
    // may have missed happened before it.
    this.cloneFinishTime = await clusterTime(this.ctx.source);
    this.cloneCompleted = true;
    this.ctx.log.info('clone completed', { finishedAt: formatOpTime(this.cloneFinishTime) });
    return true;
  }
}

function opTime(time: Timestamp): OpTime {
  return { t: time.t, i: time.i };
}
