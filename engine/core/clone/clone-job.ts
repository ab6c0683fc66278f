// One collection's part of the clone: its plan (every segment planned so far, with whether it is
// done), whether its target collection exists, and its progress. The cloner changes it; the
// checkpoint and the progress report read it at any moment.
import type { CollectionProgress } from '../../protocol.js';
import type { CloneCheckpoint, EngineContext, SourceCollection } from '../parts.js';
import { segmentSizing, type Segment, type SegmentSizing } from './segments.js';

export class CloneJob {
  readonly namespace: string;
  readonly progress: CollectionProgress;
  /** Every segment planned so far, in plan order, with whether it is done. */
  readonly planned = new Map<string, { segment: Segment; done: boolean }>();
  prepared: boolean;
  fullyPlanned: boolean;
  /** The source collection's current name: it may be renamed while it is copied. */
  sourceName: string;
  /** Dropped on the source while it was copied (or renamed out of the selection). */
  gone = false;
  readonly sizing: SegmentSizing;

  constructor(
    readonly collection: SourceCollection,
    checkpoint: CloneCheckpoint | undefined,
    tuning: EngineContext['clone'],
  ) {
    this.namespace = `${collection.db}.${collection.name}`;
    this.sourceName = collection.name;
    this.prepared = checkpoint?.preparedNamespaces.includes(this.namespace) ?? false;
    this.fullyPlanned = checkpoint?.fullyPlannedNamespaces.includes(this.namespace) ?? false;
    for (const entry of checkpoint?.segments ?? []) {
      if (entry.segment.namespace === this.namespace) this.planned.set(entry.segment.id, { ...entry });
    }
    this.sizing = segmentSizing(
      { count: collection.documents, sizeBytes: collection.sizeBytes, avgObjSize: collection.avgObjSize },
      tuning,
    );
    this.progress = {
      namespace: this.namespace,
      kind: collection.kind,
      state: 'pending',
      estimatedBytes: collection.sizeBytes,
      copiedBytes: 0,
      copiedDocuments: 0,
      segmentsDone: 0,
      segmentsTotal: 0,
    };
    this.updateSegmentCounts();
    if (this.complete) this.progress.state = 'done';
  }

  get complete(): boolean {
    if (this.gone) return true;
    if (this.collection.kind === 'timeseries') return false;
    return this.prepared && this.fullyPlanned && [...this.planned.values()].every((entry) => entry.done);
  }

  record(segment: Segment): void {
    if (!this.planned.has(segment.id)) this.planned.set(segment.id, { segment, done: false });
    this.updateSegmentCounts();
  }

  isDone(segment: Segment): boolean {
    return this.planned.get(segment.id)?.done === true;
  }

  markDone(segment: Segment): void {
    this.planned.set(segment.id, { segment, done: true });
    this.updateSegmentCounts();
  }

  /** Dropped on the source (or renamed out of the selection): nothing more to copy. */
  markGone(): void {
    for (const entry of this.planned.values()) entry.done = true;
    this.fullyPlanned = true;
    this.gone = true;
    this.updateSegmentCounts();
  }

  /**
   * Every planned segment is to be read again, and planning continues after them: the collection was
   * renamed while it was read, so reads and split queries may have found nothing.
   */
  restart(): void {
    for (const entry of this.planned.values()) entry.done = false;
    this.fullyPlanned = false;
    this.updateSegmentCounts();
  }

  updateSegmentCounts(): void {
    const entries = [...this.planned.values()];
    this.progress.segmentsDone = entries.filter((entry) => entry.done).length;
    this.progress.segmentsTotal = this.fullyPlanned
      ? entries.length
      : Math.max(entries.length, this.expectedSegments());
  }

  /** Until planning ends, the total is estimated from the collection's stats. */
  private expectedSegments(): number {
    switch (this.collection.kind) {
      case 'view':
      case 'timeseries':
        return 0;
      case 'capped':
        return 1;
      default:
        return this.sizing.estimatedSegments;
    }
  }
}
