// The change stream reader: one cluster-wide change stream on the source, read as raw BSON.
//
// The stream is driven with aggregate and getMore commands rather than the driver's ChangeStream,
// for two reasons. The ChangeStream decodes every event into plain objects (it reads the resume
// token from `change._id`, so `raw: true` breaks it), which loses field order and numeric types; and
// it hides the postBatchResumeToken, which is how Ferry follows the source's progress read-only: an
// empty batch's token carries the cluster time the stream has caught up to (resume-token.ts), so
// nothing is written to the source (PCSM writes a no-op there every second to learn the same).
//
// Restarts after an interruption resume from the last batch's token, so no event is read twice or
// skipped; history lost (the oplog rolled past that point) is fatal, with its remedy.
import { setTimeout as sleep } from 'node:timers/promises';
import { Long, type Document, type Timestamp } from 'mongodb';
import type { FerryErrorInfo } from '../../protocol.js';
import { changeStreamMatch } from '../namespaces.js';
import { classify, FerryError } from '../errors.js';
import type { EngineContext } from '../parts.js';
import type { BoundedQueue } from './bounded-queue.js';
import { opTimeOfResumeToken } from './resume-token.js';
import { timestampOf } from './times.js';

/** One batch of the stream, as the dispatcher receives it. */
export interface StreamBatch {
  /** Raw BSON events in stream order. */
  events: Uint8Array[];
  /** The cluster time of the batch's postBatchResumeToken. */
  resumeTime: Timestamp;
}

/** How long an idle getMore waits for events: also how often an idle stream reports progress. */
export const MAX_AWAIT_MS = 1000;
const RETRY_INITIAL_MS = 250;
const RETRY_MAX_MS = 30_000;
const CURSOR_NOT_FOUND = 43;

// Events stay raw (decoded later with decodeOrdered); the cursor id must stay a Long, since cursor
// ids use all 64 bits. Other values are promoted as usual: an error's code must read as a number.
const rawBatches = { fieldsAsRaw: { firstBatch: true, nextBatch: true }, promoteLongs: false } as const;

export class ChangeStreamReader {
  private stopping = false;
  private readonly stopped = new AbortController();
  /** The last batch's postBatchResumeToken: where a reopened stream continues. */
  private resumeToken: Document | undefined;

  constructor(
    private readonly ctx: EngineContext,
    private readonly queue: BoundedQueue<StreamBatch>,
    private readonly onRead: (events: number) => void,
  ) {}

  /**
   * Reads from `from` (inclusive) into the queue until stop(), then closes the queue. Rejects with a
   * FerryError when the stream cannot go on.
   */
  async run(from: Timestamp): Promise<void> {
    // Backoff as in errors.ts retry(), but reset by every batch read: a stream that ran for a day
    // and then hiccups reopens after the shortest wait, one that keeps failing waits longer each time.
    let failures = 0;
    try {
      while (!this.stopping) {
        try {
          await this.readStream(from, () => (failures = 0));
        } catch (error) {
          if (this.stopping) return;
          const info = streamErrorInfo(error);
          if (!info.transient) throw new FerryError(info, { cause: error });
          failures++;
          const delayMs = Math.min(RETRY_INITIAL_MS * 2 ** (failures - 1), RETRY_MAX_MS);
          this.ctx.log.warn('change stream interrupted; reopening it where it stopped', {
            error: info.message,
            retryInMs: delayMs,
          });
          await sleep(delayMs, undefined, { signal: this.stopped.signal }).catch(() => {});
        }
      }
    } finally {
      this.queue.close();
    }
  }

  /** Stops after the getMore in flight (at most MAX_AWAIT_MS); what it returns is still queued. */
  stop(): void {
    this.stopping = true;
    this.stopped.abort();
  }

  private async readStream(from: Timestamp, onProgress: () => void): Promise<void> {
    const { source, repl } = this.ctx;
    const admin = source.db('admin');
    // A cursor belongs to the session that opened it: getMore must run in the same one.
    const session = source.startSession();
    const options = { session, ...rawBatches };
    let cursorId: Long | undefined;
    try {
      const opened = await admin.command(
        { aggregate: 1, pipeline: this.pipeline(from), cursor: { batchSize: repl.changeStreamBatchSize } },
        options,
      );
      let batch = cursorBatch(opened, 'firstBatch');
      cursorId = batch.id;
      for (;;) {
        await this.deliver(batch);
        onProgress();
        if (this.stopping) return;
        if (batch.id.isZero()) throw streamClosed();
        const more = await admin.command(
          {
            getMore: batch.id,
            collection: '$cmd.aggregate',
            batchSize: repl.changeStreamBatchSize,
            maxTimeMS: MAX_AWAIT_MS,
          },
          options,
        );
        batch = cursorBatch(more, 'nextBatch');
      }
    } finally {
      if (cursorId && !cursorId.isZero()) {
        await admin.command({ killCursors: '$cmd.aggregate', cursors: [cursorId] }, { session }).catch(() => {});
      }
      await session.endSession().catch(() => {});
    }
  }

  private pipeline(from: Timestamp): Document[] {
    const start = this.resumeToken ? { resumeAfter: this.resumeToken } : { startAtOperationTime: from };
    const pipeline: Document[] = [
      { $changeStream: { allChangesForCluster: true, showExpandedEvents: true, ...start } },
    ];
    const match = changeStreamMatch(this.ctx.filter);
    if (match) pipeline.push({ $match: match });
    return pipeline;
  }

  private async deliver(batch: CursorBatch): Promise<void> {
    this.resumeToken = batch.resumeToken;
    this.onRead(batch.events.length);
    const resumeTime = timestampOf(opTimeOfResumeToken(batch.resumeToken));
    // An empty batch still goes through: it tells the dispatcher how far the stream has caught up.
    await this.queue.put({ events: batch.events, resumeTime }, Math.max(batch.events.length, 1));
  }
}

interface CursorBatch {
  id: Long;
  events: Uint8Array[];
  resumeToken: Document;
}

function cursorBatch(reply: Document, field: 'firstBatch' | 'nextBatch'): CursorBatch {
  const cursor: unknown = reply.cursor;
  if (!isRecord(cursor)) throw unexpectedReply('it has no cursor');
  const { id, postBatchResumeToken } = cursor;
  const events: unknown = cursor[field];
  if (!(id instanceof Long)) throw unexpectedReply('the cursor has no id');
  if (!Array.isArray(events) || !events.every((event) => event instanceof Uint8Array)) {
    throw unexpectedReply(`the cursor has no ${field}`);
  }
  if (!isRecord(postBatchResumeToken)) throw unexpectedReply('the cursor has no postBatchResumeToken');
  return { id, events: events as Uint8Array[], resumeToken: postBatchResumeToken };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** classify(), plus the one error that is worth retrying for a stream only: a forgotten cursor. */
function streamErrorInfo(error: unknown): FerryErrorInfo {
  const info = classify(error);
  // The cursor was killed (a stepdown, killSessions) or timed out while the dispatcher was blocked:
  // reopening from the resume token loses nothing.
  if (isRecord(error) && error.code === CURSOR_NOT_FOUND) return { ...info, transient: true };
  return info;
}

function unexpectedReply(why: string): FerryError {
  return new FerryError({
    code: 'UNEXPECTED_CHANGE_STREAM_REPLY',
    message: `the source answered the change stream with an unexpected reply: ${why}`,
    remedy: 'The source must be a MongoDB 4.2 or later replica set or sharded cluster; report this if it is.',
  });
}

function streamClosed(): FerryError {
  // A cluster-wide stream is never invalidated; the server closed it for a reason worth a reopen.
  return new FerryError({
    code: 'CHANGE_STREAM_INTERRUPTED',
    message: 'the source closed the change stream',
    remedy: 'Ferry reopens it on its own.',
    transient: true,
  });
}
