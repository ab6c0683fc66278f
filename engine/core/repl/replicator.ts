// The Replicator (parts.ts): change replication as the engine drives it. start() begins a run
// (replication-run.ts); pause() ends it once everything read is on the target; start() again, from
// the resume point, begins the next. catchUpTo() is finalize's step: apply until the target reflects
// the source at a given time, then pause (PCSM stops wherever its reader happens to be instead).
import type { Timestamp } from 'mongodb';
import { FerryError } from '../errors.js';
import type { Catalog, EngineContext, Replicator } from '../parts.js';
import { ReplicationRun } from './replication-run.js';
import { formatOpTime } from './resume-token.js';
import { compareTimes, laterOf } from './times.js';

export function createReplicator(ctx: EngineContext, catalog: Catalog): Replicator {
  return new ChangeReplicator(ctx, catalog);
}

class ChangeReplicator implements Replicator {
  private run: ReplicationRun | undefined;
  private runDone: Promise<void> | undefined;
  /** Where the last finished run left off. */
  private endedResumePoint: Timestamp | undefined;
  private endedLastReplicated: Timestamp | undefined;
  private catchUpTime: Timestamp | undefined;
  private read = 0;
  private applied = 0;

  constructor(
    private readonly ctx: EngineContext,
    private readonly catalog: Catalog,
  ) {}

  get resumePoint(): Timestamp | undefined {
    return this.run ? this.run.progress().resumePoint : this.endedResumePoint;
  }

  get lastReplicated(): Timestamp | undefined {
    // Never backwards: a new run replays a little before where the last one ended.
    return laterOf(this.endedLastReplicated, this.run?.progress().lastReplicated);
  }

  get eventsRead(): number {
    return this.read;
  }

  get eventsApplied(): number {
    return this.applied;
  }

  get done(): Promise<void> | undefined {
    return this.runDone;
  }

  start(from: Timestamp): void {
    if (this.run) {
      throw new FerryError({
        code: 'REPLICATION_RUNNING',
        message: 'change replication is already running',
        remedy: 'Pause it before starting it again.',
      });
    }
    const run = new ReplicationRun(this.ctx, this.catalog, from, {
      read: (events) => {
        this.read += events;
        this.ctx.counters.eventsRead(events);
      },
      applied: (events) => {
        this.applied += events;
        this.ctx.counters.eventsApplied(events);
      },
      progressed: () => this.checkCatchUp(),
    });
    this.run = run;
    this.ctx.log.info('change replication started', { from: formatOpTime(from) });
    const done = run.execute().finally(() => this.ended(run));
    // The engine may never await done (it pauses instead); a failure must not become an unhandled rejection.
    done.catch(() => {});
    this.runDone = done;
  }

  async pause(): Promise<void> {
    if (!this.run) return;
    this.run.stopReading();
    await this.runDone;
  }

  /**
   * Applies until lastReplicated is at or past `time`, then pauses. Starts from the resume point
   * when paused. Rejects if replication fails or is paused by someone else before getting there.
   */
  async catchUpTo(time: Timestamp): Promise<void> {
    if (!this.run) {
      if (this.reached(time)) return;
      const from = this.resumePoint;
      if (from === undefined) {
        throw new FerryError({
          code: 'REPLICATION_NOT_STARTED',
          message: 'change replication cannot catch up: it has never been started',
          remedy: 'Finalize once the clone is done and replication is running.',
        });
      }
      this.start(from);
    }
    this.catchUpTime = time;
    this.checkCatchUp();
    try {
      await this.runDone;
    } finally {
      this.catchUpTime = undefined;
    }
    if (!this.reached(time)) {
      throw new FerryError({
        code: 'CATCH_UP_INTERRUPTED',
        message: `change replication was paused at ${this.describeLast()} before reaching ${formatOpTime(time)}`,
        remedy: 'Finalize again; replication resumes from where it stopped.',
      });
    }
  }

  private checkCatchUp(): void {
    const time = this.catchUpTime;
    if (time === undefined || !this.run || !this.reached(time)) return;
    this.ctx.log.info('change replication caught up', { to: formatOpTime(time), at: this.describeLast() });
    this.catchUpTime = undefined;
    this.run.stopReading();
  }

  private reached(time: Timestamp): boolean {
    const last = this.lastReplicated;
    return last !== undefined && compareTimes(last, time) >= 0;
  }

  private ended(run: ReplicationRun): void {
    const { resumePoint, lastReplicated } = run.progress();
    this.endedResumePoint = resumePoint;
    this.endedLastReplicated = laterOf(this.endedLastReplicated, lastReplicated);
    this.run = undefined;
    this.ctx.log.info('change replication stopped', { resumePoint: formatOpTime(resumePoint) });
  }

  private describeLast(): string {
    const last = this.lastReplicated;
    return last === undefined ? 'the start' : formatOpTime(last);
  }
}
