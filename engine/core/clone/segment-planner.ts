// Plans one collection's segments lazily, one split query per segment (segments.ts), so copying can
// start at once instead of after a scan of the whole `_id` index. A planner built from a checkpoint
// first hands back the segments planned before the restart, with their recorded bounds, and then
// continues each type bracket after the last recorded upper bound. Re-planning from scratch would be
// wrong: the collection has changed since, so the same split queries would draw other boundaries.
//
// Brackets are listed again on resume, and planning continues from the recorded bounds to the current
// maximum. A document below or between recorded bounds that the recorded segments do not cover was
// inserted after they were planned, so after T0: the change stream copies it.
import type { Collection, Document } from 'mongodb';
import { numberOf } from '../catalog/documents.js';
import { decodeRaw } from '../catalog/raw-reads.js';
import {
  equalitySegment,
  idBracketPipeline,
  idRanges,
  idRangesFromBounds,
  rangeSegment,
  splitQuery,
  type IdBracketRow,
  type IdRange,
  type Segment,
} from './segments.js';

type Range = Extract<IdRange, { kind: 'range' }>;
type Recorded = 'complete' | { lower: unknown; ordinal: number };

/** A range still to plan, and where its next segment starts. */
interface Pending {
  range: IdRange;
  lower: unknown;
  ordinal: number;
}

export class SegmentPlanner {
  /** Segments planned earlier and not done, handed back first. */
  private readonly recorded: Segment[];
  private readonly recordedAtStart: readonly Segment[];
  private pending: Pending[] | undefined;
  private planning: Promise<Segment | undefined> = Promise.resolve(undefined);
  private finished: boolean;

  /**
   * `pending`: planned earlier and not done, handed back first. `planned`: every segment planned
   * earlier, done or not, which tells where planning continues. `fullyPlanned`: planning had reached
   * the end of every range.
   */
  constructor(
    private readonly source: Collection,
    private readonly namespace: string,
    private readonly documentsPerSegment: number,
    pending: readonly Segment[],
    planned: readonly Segment[],
    fullyPlanned: boolean,
  ) {
    this.recorded = [...pending];
    this.recordedAtStart = planned;
    this.finished = fullyPlanned;
  }

  /** True once the planner has reached the end of every range (new segments can no longer appear). */
  get fullyPlanned(): boolean {
    return this.finished;
  }

  /** The next segment to copy, or undefined when there is none left. Calls are serialised. */
  next(): Promise<Segment | undefined> {
    const next = this.planning.then(() => this.plan());
    // A failed call fails its caller only; the next call plans again from the same place.
    this.planning = next.catch(() => undefined);
    return next;
  }

  private async plan(): Promise<Segment | undefined> {
    const recorded = this.recorded.shift();
    if (recorded) return recorded;
    if (this.finished) return undefined;
    this.pending ??= await this.remainingRanges();
    const work = this.pending[0];
    if (!work) {
      this.finished = true;
      return undefined;
    }
    if (work.range.kind === 'equality') {
      this.pending.shift();
      return equalitySegment(this.namespace, work.range);
    }
    const splitPoint = await this.splitPoint(work.range, work.lower);
    const segment = rangeSegment(this.namespace, work.range, work.ordinal, work.lower, splitPoint);
    if (splitPoint === undefined) this.pending.shift();
    else {
      work.lower = splitPoint;
      work.ordinal++;
    }
    return segment;
  }

  /** The current brackets, minus what the recorded segments already cover. */
  private async remainingRanges(): Promise<Pending[]> {
    const recorded = this.recordedBrackets();
    const pending: Pending[] = [];
    for (const range of await this.currentRanges()) {
      const done = recorded.get(range.bracket);
      if (done === 'complete') continue;
      if (done) pending.push({ range, ...done });
      else pending.push({ range, lower: range.kind === 'range' ? range.min : undefined, ordinal: 0 });
    }
    return pending;
  }

  /** For each bracket with recorded segments: complete, or where its next segment starts. */
  private recordedBrackets(): Map<string, Recorded> {
    const brackets = new Map<string, Recorded>();
    for (const { bracket, bounds, ordinal } of this.recordedAtStart) {
      const known = brackets.get(bracket);
      if (known === 'complete') continue;
      if (bounds.kind !== 'range' || bounds.upperInclusive) brackets.set(bracket, 'complete');
      else if (known === undefined || known.ordinal <= ordinal)
        brackets.set(bracket, { lower: bounds.upper, ordinal: ordinal + 1 });
    }
    return brackets;
  }

  private async currentRanges(): Promise<IdRange[]> {
    const [min] = await this.source.find({}, boundsQuery(1)).toArray();
    const [max] = await this.source.find({}, boundsQuery(-1)).toArray();
    if (min === undefined || max === undefined) return [];
    const count = await this.source.estimatedDocumentCount();
    const simple = idRangesFromBounds(decodeRaw(min).get('_id'), decodeRaw(max).get('_id'), count);
    if (simple) return simple;
    const rows = await this.source.aggregate(idBracketPipeline(), { raw: true }).toArray();
    return idRanges(rows.map(decodeRaw).map(bracketRow));
  }

  private async splitPoint(range: Range, lower: unknown): Promise<unknown> {
    const { filter, ...options } = splitQuery(range, lower, this.documentsPerSegment);
    const [found] = await this.source.find(filter, { ...options, raw: true }).toArray();
    return found === undefined ? undefined : decodeRaw(found).get('_id');
  }
}

function boundsQuery(direction: 1 | -1): Document {
  return { sort: { _id: direction }, limit: 1, projection: { _id: 1 }, raw: true };
}

function bracketRow(row: Map<string, unknown>): IdBracketRow {
  return {
    bracket: String(row.get('_id')),
    min: row.get('min'),
    max: row.get('max'),
    count: numberOf(row.get('count')),
  };
}
