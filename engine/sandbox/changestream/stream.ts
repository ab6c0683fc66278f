// A change stream cursor: reads the oplog from its start point, turns each relevant entry into an
// event (with images, invalidation and the resume checks mongod makes), runs the stages that follow
// $changeStream on it, and hands events out in batches, each with the postBatchResumeToken a driver
// resumes from. An idle stream's token still advances, since the cluster time moves on.
import type { Collation } from '../bson/collation.js';
import { valuesEqual } from '../bson/compare.js';
import { encodeDocument } from '../bson/encode.js';
import { formatValue } from '../bson/format.js';
import { RawDocument, Timestamp, type BsonDoc, type BsonValue } from '../bson/values.js';
import { compareTimestamps } from '../clock.js';
import type { Batch, BatchOptions, CursorSource } from '../cursors.js';
import { DEFAULT_FIRST_BATCH, MAX_BATCH_BYTES } from '../cursors.js';
import { CommandError } from '../errors.js';
import { MAX_BSON_SIZE } from '../limits.js';
import { compilePipeline, type CompiledPipeline } from '../query/pipeline.js';
import type { Sandbox } from '../sandbox.js';
import type { OplogEntry } from '../storage/oplog.js';
import {
  changeOf,
  eventDocument,
  invalidateDocument,
  invalidates,
  isClassic,
  tokenOf,
  type Change,
  type StreamContext,
} from './events.js';
import { postImageFor, preImageFor } from './images.js';
import type { ChangeStreamOptions } from './options.js';
import { compareResumeTokens, highWaterMarkToken, isHighWaterMark, type ResumeToken } from './resume-token.js';

interface ReadyEvent {
  readonly bytes: Buffer;
  readonly token: ResumeToken;
}

export class ChangeStreamSource implements CursorSource {
  readonly tailable = true;
  readonly readsOplog = true;
  /** Absolute oplog position of the next entry to read. */
  private position: number;
  private readonly ready: ReadyEvent[] = [];
  private readyBytes = 0;
  /** The token of the last event handed out, or of the start point before any. */
  private lastToken: ResumeToken;
  /** A resume point not yet reached: events up to it are swallowed; an event token must be found. */
  private resumePoint?: ResumeToken;
  /** startAfter an invalidate: that invalidate is the resume point, not a new end of the stream. */
  private startAfterInvalidate?: ResumeToken;
  /** Set once an invalidate was produced: the stream ends after the events before it. */
  private endToken?: ResumeToken;
  private failure?: unknown;
  private closed = false;
  private readonly stages?: CompiledPipeline;
  private readonly context: StreamContext;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly options: ChangeStreamOptions,
    db: string,
    stages: readonly BsonValue[],
    collation?: Collation,
  ) {
    const { oplog, clock } = sandbox;
    this.context = { scope: options.scope, showExpandedEvents: options.showExpandedEvents };
    if (stages.length > 0) this.stages = compilePipeline(sandbox.catalog, db, stages, { collation });
    const start = options.start;
    if (start.kind === 'now') {
      // Like mongod: start one tick after the latest write, so no event before the stream opened shows.
      const latest = clock.current();
      this.position = oplog.endPosition;
      this.lastToken = highWaterMarkToken(new Timestamp({ t: latest.t, i: latest.i + 1 }));
      return;
    }
    const startTime = start.kind === 'time' ? start.clusterTime : start.token.clusterTime;
    this.checkHistory(startTime);
    this.position = oplog.positionOf(startTime);
    if (start.kind === 'time') {
      this.lastToken = highWaterMarkToken(startTime);
      return;
    }
    this.lastToken = start.token;
    this.resumePoint = start.token;
    if (start.kind === 'startAfter' && start.token.fromInvalidate) this.startAfterInvalidate = start.token;
  }

  close(): void {
    this.closed = true;
  }

  async nextBatch({ batchSize, awaitMs, isFirstBatch }: BatchOptions): Promise<Batch> {
    if (this.failure) throw this.failure;
    const limit = batchLimit(batchSize, isFirstBatch);
    const deadline = Date.now() + awaitMs;
    let taken = this.readBatch(limit);
    while (taken.length === 0 && limit > 0 && !this.endToken && !this.closed && !isFirstBatch) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await this.sandbox.oplog.waitForAppend(remaining);
      taken = this.readBatch(limit);
    }
    if (taken.length > 0) this.lastToken = taken[taken.length - 1].token;
    const exhausted = this.endToken !== undefined && this.ready.length === 0;
    return {
      documents: taken.map(({ bytes }) => new RawDocument(bytes)),
      exhausted,
      postBatchResumeToken: this.postBatchResumeToken(exhausted).document,
    };
  }

  private readBatch(limit: number): ReadyEvent[] {
    try {
      this.read(limit);
    } catch (error) {
      // A stream that failed stays failed: skipping the event would silently lose it.
      this.failure = error;
      throw error;
    }
    return this.take(limit);
  }

  /** Reads oplog entries until a batch is ready, the oplog ends or the stream is invalidated. */
  private read(limit: number): void {
    const { oplog } = this.sandbox;
    while (
      this.ready.length < limit &&
      this.readyBytes < MAX_BATCH_BYTES &&
      !this.endToken &&
      this.position < oplog.endPosition
    ) {
      const entry = oplog.at(this.position);
      if (!entry) throw historyLost();
      this.position++;
      this.consume(entry);
    }
  }

  /** The next batch: up to `limit` events and 16 MiB (always at least one event). */
  private take(limit: number): ReadyEvent[] {
    let count = 0;
    let bytes = 0;
    while (count < this.ready.length && count < limit) {
      const size = this.ready[count].bytes.length;
      if (count > 0 && bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
      count++;
    }
    this.readyBytes -= bytes;
    return this.ready.splice(0, count);
  }

  private consume(entry: OplogEntry): void {
    const { scope } = this.options;
    const change = changeOf(entry, this.context);
    if (!change) return;
    const token = tokenOf(change);
    const skipped = this.startAfterInvalidate;
    this.startAfterInvalidate = undefined;
    if (!invalidates(change, scope)) return this.offer(change, token);
    const invalidateToken = tokenOf(change, true);
    if (skipped) {
      // Resuming from this very invalidate: the stream goes on past it, showing neither event.
      if (compareResumeTokens(invalidateToken, skipped) === 0) this.resumePoint = undefined;
      else this.offer(change, token);
      return;
    }
    this.offer(change, token);
    if (!this.passesResumePoint(invalidateToken)) return;
    this.endToken = invalidateToken;
    this.deliver(invalidateDocument(change, invalidateToken), invalidateToken);
  }

  private offer(change: Change, token: ResumeToken): void {
    if (!this.passesResumePoint(token)) return;
    const { options } = this;
    const fullDocumentBeforeChange = preImageFor(change, options.fullDocumentBeforeChange);
    const fullDocument = postImageFor(change, options.fullDocument, this.sandbox.catalog);
    if (!options.showExpandedEvents && !isClassic(change.operationType)) return;
    const event = eventDocument(change, token, {
      showExpandedEvents: options.showExpandedEvents,
      fullDocument,
      fullDocumentBeforeChange,
    });
    this.deliver(event, token);
  }

  /**
   * Swallows events up to the resume point. The first event past it ends the check; when the resume
   * point is an event that never showed up, the stream cannot resume.
   */
  private passesResumePoint(token: ResumeToken): boolean {
    const point = this.resumePoint;
    if (!point) return true;
    const order = compareResumeTokens(token, point);
    if (order < 0) return false;
    this.resumePoint = undefined;
    if (order === 0) return false;
    if (!isHighWaterMark(point))
      throw new CommandError(
        'ChangeStreamFatalError',
        `cannot resume stream; the resume token was not found. ${formatValue(point.document)}`,
      );
    return true;
  }

  /** Runs the stages after $changeStream on the event and queues what comes out. */
  private deliver(event: BsonDoc, token: ResumeToken): void {
    const [output] = this.stages ? this.stages([event]) : [event];
    if (!output) return;
    const id = output.get('_id');
    if (id === undefined || !valuesEqual(id, token.document))
      throw new CommandError(
        'ChangeStreamFatalError',
        'Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. ' +
          'Modifying the _id field of an event makes it impossible to resume the stream from that point. ' +
          'Only transformations that retain the unmodified _id field are allowed. ' +
          `Expected: { _id: ${formatValue(token.document)} } but found: ${id === undefined ? '{}' : `{ _id: ${formatValue(id)} }`}`,
      );
    const bytes = encodeDocument(output);
    if (bytes.length > MAX_BSON_SIZE)
      throw new CommandError(
        'BSONObjectTooLarge',
        `BSONObj size: ${bytes.length} (0x${bytes.length.toString(16).toUpperCase()}) is invalid. Size must be between 0 and ${MAX_BSON_SIZE}(16MB) First element: _id: ${formatValue(token.document)}`,
      );
    this.ready.push({ bytes, token });
    this.readyBytes += bytes.length;
  }

  /**
   * After the last event handed out; once the stream has read everything there is, a high-water mark
   * at the current time, so a driver resuming from it skips the entries this stream has already seen.
   */
  private postBatchResumeToken(exhausted: boolean): ResumeToken {
    if (exhausted && this.endToken) return this.endToken;
    const caughtUp = this.ready.length === 0 && !this.endToken && this.position >= this.sandbox.oplog.endPosition;
    if (!caughtUp) return this.lastToken;
    const now = highWaterMarkToken(this.idleTime());
    return compareResumeTokens(now, this.lastToken) > 0 ? now : this.lastToken;
  }

  /**
   * The current cluster time, first moved on to the start of the current second when no write
   * happened in it yet (as mongod's periodic no-op writes move it), so idle streams advance. The clock
   * then never hands out a Timestamp at or before the one a driver may resume from.
   */
  private idleTime(): Timestamp {
    const { clock } = this.sandbox;
    clock.advanceTo(new Timestamp({ t: Math.floor(Date.now() / 1000), i: 0 }));
    return clock.current();
  }

  private checkHistory(start: Timestamp): void {
    const { oplog } = this.sandbox;
    const oldest = oplog.first()?.ts;
    if (oplog.truncatedBefore && oldest && compareTimestamps(start, oldest) < 0) throw historyLost();
  }
}

/** A first batch holds 101 events unless told otherwise (0 included); later batches are unbounded. */
function batchLimit(batchSize: number | undefined, isFirstBatch: boolean): number {
  if (batchSize !== undefined && batchSize > 0) return batchSize;
  if (isFirstBatch) return batchSize ?? DEFAULT_FIRST_BATCH;
  return Infinity;
}

function historyLost(): CommandError {
  return new CommandError(
    'ChangeStreamHistoryLost',
    'Resume of change stream was not possible, as the resume point may no longer be in the oplog.',
  );
}
