// Cluster times as the replicator handles them: the driver's Timestamp (what the Replicator
// interface and change events carry), compared by seconds then increment.
import { Timestamp } from 'mongodb';
import type { OpTime } from '../../protocol.js';

const MAX_INCREMENT = 0xffff_ffff;

export function compareTimes(a: Timestamp, b: Timestamp): number {
  return a.t - b.t || a.i - b.i;
}

export function laterOf(a: Timestamp | undefined, b: Timestamp | undefined): Timestamp | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareTimes(a, b) >= 0 ? a : b;
}

export function earlierOf(a: Timestamp | undefined, b: Timestamp | undefined): Timestamp | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareTimes(a, b) <= 0 ? a : b;
}

/**
 * The latest time strictly before `time`. "Every event up to the one before this" is what the
 * replicator can claim when the events at `time` itself may not all have been read yet (the
 * operations of one transaction share a cluster time and can span two batches).
 */
export function justBefore(time: Timestamp): Timestamp {
  if (time.i > 0) return new Timestamp({ t: time.t, i: time.i - 1 });
  return new Timestamp({ t: Math.max(time.t - 1, 0), i: time.t > 0 ? MAX_INCREMENT : 0 });
}

export function timestampOf(opTime: OpTime): Timestamp {
  return new Timestamp({ t: opTime.t, i: opTime.i });
}
