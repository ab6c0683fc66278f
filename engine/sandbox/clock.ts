// The sandbox's cluster time. Every write takes a fresh Timestamp, strictly increasing, so oplog
// entries, operationTime and change-stream resume tokens order exactly as on a real replica set.
import { Timestamp } from './bson/values.js';

export class ClusterClock {
  private seconds = 0;
  private increment = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Takes the next Timestamp for a write. */
  tick(): Timestamp {
    const wallSeconds = Math.floor(this.now() / 1000);
    if (wallSeconds > this.seconds) {
      this.seconds = wallSeconds;
      this.increment = 1;
    } else {
      this.increment += 1;
    }
    return new Timestamp({ t: this.seconds, i: this.increment });
  }

  /** The latest Timestamp handed out (or a zero-increment one for the current second when idle). */
  current(): Timestamp {
    if (this.seconds === 0) return new Timestamp({ t: Math.floor(this.now() / 1000), i: 0 });
    return new Timestamp({ t: this.seconds, i: this.increment });
  }

  /** Never hands out a Timestamp at or before `ts` (used after loading persisted data). */
  advanceTo(ts: Timestamp): void {
    if (ts.t > this.seconds || (ts.t === this.seconds && ts.i > this.increment)) {
      this.seconds = ts.t;
      this.increment = ts.i;
    }
  }
}

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.t !== b.t ? a.t - b.t : a.i - b.i;
}
