// Checkpoint writes, one at a time and in the order they were asked for: a periodic write must not
// overtake the one of a state change queued before it, or the target would keep the older state.
// A failed write is logged and left to the next one (every few seconds): the run goes on meanwhile.
import type { MongoClient } from 'mongodb';
import { CheckpointStore, type RunCheckpoint } from './checkpoint.js';
import { classify } from './errors.js';
import type { EngineLog } from './parts.js';

export class CheckpointWriter {
  private writes: Promise<void> = Promise.resolve();
  /** When the latest write was queued (Date.now()): the periodic write waits its interval from there. */
  lastQueuedAt = 0;

  constructor(private readonly log: EngineLog) {}

  /** Queues a write of `snapshot` behind those in progress; resolves when it has ended, never rejects. */
  save(target: MongoClient, metadataDb: string, snapshot: RunCheckpoint): Promise<void> {
    this.lastQueuedAt = Date.now();
    this.writes = this.writes.then(() =>
      new CheckpointStore(target, metadataDb).write(snapshot).catch((error: unknown) => {
        this.log.warn('checkpoint not saved; trying again shortly', { error: classify(error).message });
      }),
    );
    return this.writes;
  }

  /** Resolves once every write queued so far has ended. */
  flushed(): Promise<void> {
    return this.writes;
  }
}
