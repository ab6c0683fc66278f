// Where replication stands, from what the dispatcher and the appliers know. Two different questions:
// - resumePoint: where a restart must read from (inclusive) so that no event is skipped. The oldest
//   event an applier holds but has not committed, or, when every applier is idle, how far the
//   dispatcher has read through. Replaying from a point a little early is harmless (every write is
//   idempotent); from a point too late loses writes.
// - lastReplicated: the time the target reflects, i.e. every event at or before it is on the target.
//   Finalize waits for it to pass the source's time, so it must never run ahead.
// PCSM takes the minimum of every worker's last committed time, so a worker that went idle holds
// the resume point back; here an idle applier holds nothing and so constrains nothing.
import type { Timestamp } from 'mongodb';
import { earlierOf, justBefore, laterOf } from './times.js';

export interface Progress {
  resumePoint: Timestamp;
  lastReplicated: Timestamp | undefined;
}

/**
 * @param from where the run started: earlier runs applied everything before it.
 * @param readThrough every event at or before it was handed to an applier, dropped or applied.
 * @param oldestUncommitted the oldest event any applier holds but has not committed.
 */
export function progressOf(
  from: Timestamp,
  readThrough: Timestamp | undefined,
  oldestUncommitted: Timestamp | undefined,
): Progress {
  if (oldestUncommitted === undefined) {
    return { resumePoint: laterOf(from, readThrough) ?? from, lastReplicated: readThrough };
  }
  return {
    resumePoint: laterOf(from, oldestUncommitted) ?? from,
    lastReplicated: earlierOf(readThrough, justBefore(oldestUncommitted)),
  };
}
