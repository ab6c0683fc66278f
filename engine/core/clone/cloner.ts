// The initial copy (pcsm.md §3, made resumable). T0 is taken by the engine before the collections are
// listed; the cloner only copies, and the change stream from T0 repairs whatever changed meanwhile.
//
// Up to clone.parallelCollections collections at once, largest first. Each is created on the target
// by the catalog (options, relaxed indexes), then split into `_id`-range segments planned lazily
// (segment-planner.ts) and copied by up to clone.readWorkers readers, which share
// clone.insertWorkers insert slots (segment-copy.ts). A capped collection is one segment read in
// natural order and written one batch at a time; a view has nothing to copy.
//
// Resumable: a segment is recorded as done only after every one of its documents is acknowledged, and
// checkpoint() can be read at any moment. A cloner built from a previous checkpoint skips the
// namespaces already created and the segments already done, and copies the unfinished ones again
// with their recorded bounds: documents already there are absorbed as duplicates. pause() (and a
// failure) stop at segment boundaries: segments in flight finish, no new one starts.
import type { Collection } from 'mongodb';
import type { CollectionProgress } from '../../protocol.js';
import { FerryError, retry, type RetryPolicy } from '../errors.js';
import type { Catalog, CloneCheckpoint, Cloner, EngineContext, SourceCollection } from '../parts.js';
import { CloneJob } from './clone-job.js';
import { copySegment, type SegmentCopyContext } from './segment-copy.js';
import { SegmentPlanner } from './segment-planner.js';
import { naturalSegment, type Segment } from './segments.js';
import { Semaphore } from './semaphore.js';

export interface ClonerOptions {
  /** The collections to copy, as Catalog.listSource() gave them after T0. */
  collections: readonly SourceCollection[];
  /** Where an earlier run of this clone stopped. */
  checkpoint?: CloneCheckpoint;
  /** The operator allowed dropping target namespaces that already exist. */
  dropExisting: boolean;
}

export function createCloner(ctx: EngineContext, catalog: Catalog, options: ClonerOptions): Cloner {
  return new CollectionCloner(ctx, catalog, options);
}

class CollectionCloner implements Cloner {
  private readonly jobs: CloneJob[];
  private readonly readSlots: Semaphore;
  private readonly insertSlots: Semaphore;
  private readonly resumed: boolean;
  private running: Promise<void> | undefined;
  private stopping = false;
  private failure: unknown;

  constructor(
    private readonly ctx: EngineContext,
    private readonly catalog: Catalog,
    private readonly options: ClonerOptions,
  ) {
    this.jobs = options.collections.map((collection) => new CloneJob(collection, options.checkpoint, ctx.clone));
    this.readSlots = new Semaphore(ctx.clone.readWorkers);
    this.insertSlots = new Semaphore(ctx.clone.insertWorkers);
    this.resumed = options.checkpoint !== undefined;
  }

  get completed(): boolean {
    return this.jobs.every((job) => job.complete || job.collection.kind === 'timeseries');
  }

  run(): Promise<void> {
    this.running ??= this.runAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async pause(): Promise<void> {
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  progress(): CollectionProgress[] {
    return this.jobs.map((job) => ({ ...job.progress }));
  }

  checkpoint(): CloneCheckpoint {
    return {
      segments: this.jobs.flatMap((job) => [...job.planned.values()].map(({ segment, done }) => ({ segment, done }))),
      preparedNamespaces: this.jobs.filter((job) => job.prepared).map((job) => job.namespace),
      fullyPlannedNamespaces: this.jobs.filter((job) => job.fullyPlanned).map((job) => job.namespace),
    };
  }

  private async runAll(): Promise<void> {
    this.stopping = false;
    this.failure = undefined;
    const collectionSlots = new Semaphore(this.ctx.clone.parallelCollections);
    await Promise.all(
      this.jobs.map(async (job) => {
        if (job.complete) return;
        const release = await collectionSlots.acquire();
        try {
          if (!this.stopping) await this.runJob(job);
        } catch (error) {
          job.progress.state = 'failed';
          this.halt(error);
        } finally {
          release();
        }
      }),
    );
    if (this.failure !== undefined) throw FerryError.from(this.failure);
    if (this.completed) this.ctx.log.info('clone complete', { collections: this.jobs.length });
  }

  /** Stops every collection at its next segment boundary and fails the run with the first error. */
  private halt(error: unknown): void {
    this.failure ??= error;
    this.stopping = true;
  }

  private async runJob(job: CloneJob): Promise<void> {
    const { collection, namespace } = job;
    if (collection.kind === 'timeseries') {
      job.progress.state = 'skipped';
      this.ctx.log.warn('time series collection not copied: change streams cannot keep it in step', { namespace });
      return;
    }
    job.progress.state = 'cloning';
    this.ctx.log.info('cloning', { namespace, kind: collection.kind, documents: collection.documents });
    if (collection.kind === 'view') {
      await this.prepare(job);
      job.fullyPlanned = true;
    } else await this.copyFollowingRenames(job);
    job.updateSegmentCounts();
    job.progress.state = job.gone ? 'skipped' : job.complete ? 'done' : 'pending';
    if (job.complete && !job.gone) this.ctx.log.info('cloned', { namespace, segments: job.planned.size });
  }

  /**
   * Copies the collection, then checks by UUID that the source collection still has the name it was
   * listed under. The cursors of a renamed or dropped collection end early (or fail), so what was
   * read meanwhile may be short: a renamed collection is read again, whole, from its new name into
   * the same target namespace, which the replayed rename then moves; a dropped one is left to the
   * replayed drop.
   */
  private async copyFollowingRenames(job: CloneJob): Promise<void> {
    for (;;) {
      let failure: unknown;
      try {
        if (job.collection.kind === 'capped') await this.copyCapped(job);
        else {
          await this.prepare(job);
          await this.copySegments(job);
        }
      } catch (error) {
        failure = error;
      }
      // Paused: the identity is checked when the copy goes on.
      if (failure === undefined && !job.complete) return;
      const identity = await this.sourceIdentity(job);
      if (identity === 'same') {
        if (failure !== undefined) throw failure;
        return;
      }
      if (identity === 'gone') {
        this.ctx.log.info('dropped or renamed out of the selection on the source while being cloned', {
          namespace: job.namespace,
        });
        job.markGone();
        return;
      }
      this.ctx.log.info('renamed on the source while being cloned; reading it again under its new name', {
        namespace: job.namespace,
        source: `${job.collection.db}.${job.sourceName}`,
      });
      job.restart();
    }
  }

  /** Whether the listed source collection still has its name, has a new one, or is gone. */
  private async sourceIdentity(job: CloneJob): Promise<'same' | 'renamed' | 'gone'> {
    const { uuid, db } = job.collection;
    if (uuid === undefined) return 'same';
    const [entry] = await this.ctx.source.db(db).listCollections({ 'info.uuid': uuid }).toArray();
    if (!entry || !this.ctx.filter.isSelected(db, entry.name)) return 'gone';
    if (entry.name === job.sourceName) return 'same';
    job.sourceName = entry.name;
    return 'renamed';
  }

  private async prepare(job: CloneJob, recreate = false): Promise<void> {
    if (job.prepared && !recreate) return;
    // A resumed clone passed preflight in its first run; a namespace not yet recorded as prepared may
    // have been half created by that run, so it is dropped and created again.
    const dropExisting = this.options.dropExisting || this.resumed || recreate;
    await this.catalog.prepareTarget(job.collection, { dropExisting });
    job.prepared = true;
  }

  private async copySegments(job: CloneJob): Promise<void> {
    // A new planner for every run: it hands back the planned segments not yet done (left over by a
    // pause, a failure or a restart) before planning further.
    const planner = new SegmentPlanner(
      this.sourceOf(job),
      job.namespace,
      job.sizing.documents,
      [...job.planned.values()].filter((entry) => !entry.done).map((entry) => entry.segment),
      [...job.planned.values()].map((entry) => entry.segment),
      job.fullyPlanned,
    );
    const copies: Promise<void>[] = [];
    let failure: unknown;
    try {
      while (!this.stopping && failure === undefined) {
        const release = await this.readSlots.acquire();
        const segment =
          this.stopping || failure !== undefined
            ? undefined
            : await retry(() => planner.next(), this.retryPolicy('planning the next segment', job.namespace)).catch(
                (error: unknown) => {
                  release();
                  throw error;
                },
              );
        if (!segment) {
          release();
          break;
        }
        job.record(segment);
        if (job.isDone(segment)) {
          release();
          continue;
        }
        copies.push(
          this.copy(job, segment)
            .catch((error: unknown) => {
              failure ??= error;
            })
            .finally(release),
        );
      }
    } finally {
      await Promise.all(copies);
    }
    if (failure !== undefined) throw failure;
    job.fullyPlanned = planner.fullyPlanned;
  }

  private async copy(job: CloneJob, segment: Segment): Promise<void> {
    await retry(() => copySegment(this.copyContext(job), segment), this.retryPolicy('copying a segment', segment.id));
    job.markDone(segment);
  }

  /** Transient errors (failover, network) are retried; a segment read again meets its duplicates. */
  private retryPolicy(what: string, subject: string): RetryPolicy {
    return {
      attempts: 3,
      initialDelayMs: 2000,
      maxDelayMs: 20_000,
      onRetry: ({ attempt, error }) =>
        this.ctx.log.warn(`retrying: ${what}`, { subject, attempt, error: error.message }),
    };
  }

  /**
   * A capped collection is copied whole, in one pass: the target evicts documents in insertion order,
   * so a copy that stopped half way is started again on a freshly created collection.
   */
  private async copyCapped(job: CloneJob): Promise<void> {
    const segment = naturalSegment(job.namespace);
    job.record(segment);
    job.fullyPlanned = true;
    if (job.isDone(segment)) return;
    const release = await this.readSlots.acquire();
    try {
      await retry(
        async (attempt) => {
          await this.prepare(job, job.prepared || attempt > 1);
          await copySegment(this.copyContext(job), segment);
        },
        this.retryPolicy('copying a capped collection', job.namespace),
      );
      job.markDone(segment);
    } finally {
      release();
    }
  }

  private copyContext(job: CloneJob): SegmentCopyContext {
    const { db, name } = job.collection;
    return {
      source: this.sourceOf(job),
      target: this.ctx.target.db(db).collection(name),
      readBatchSizeBytes: this.ctx.clone.readBatchSizeBytes,
      batchDocuments: job.sizing.batchDocuments,
      insertSlots: this.insertSlots,
      log: this.ctx.log,
      counters: this.ctx.counters,
      onInserted: (documents, bytes) => {
        job.progress.copiedDocuments += documents;
        job.progress.copiedBytes += bytes;
      },
    };
  }

  private sourceOf(job: CloneJob): Collection {
    return this.ctx.source.db(job.collection.db).collection(job.sourceName);
  }
}
