// Finalize as the engine drives it, from the command to `finalized` (ARCHITECTURE.md Engine §8): the
// write block on the source, held from the command to the end of the pass and released whatever
// happens; the pass itself (finalize.ts) run in the background while status() keeps answering; and
// a finalize interrupted by a crash, carried on by the next engine (blocking the source again first
// if the interrupted one had). The state machine stays the engine's: it moves to finalizing before
// the pass starts and hears back through the hooks.
import type { MongoClient } from 'mongodb';
import type { FinalizeOptions } from '../protocol.js';
import type { FinalizeRecord } from './checkpoint.js';
import { blockSourceWrites, finalizePass, releaseSourceWrites, type FinalizeOutcome } from './finalize.js';
import type { EngineLog } from './parts.js';
import type { Run } from './run.js';

export interface FinalizerHooks {
  /** The pass is done and the run's finalization record complete: the engine moves to finalized. */
  finished(run: Run, outcome: FinalizeOutcome): Promise<void>;
  /** The pass failed (the write block is released already): the engine moves to failed. */
  failed(run: Run, error: unknown): Promise<void>;
}

export class Finalizer {
  private pass: Promise<void> | undefined;
  /** User writes on the source are blocked by this engine and not released yet. */
  private sourceWritesBlocked = false;

  constructor(
    private readonly log: EngineLog,
    private readonly hooks: FinalizerHooks,
  ) {}

  /** A pass is running (a finalize sent again meanwhile has nothing to do). */
  get passRunning(): boolean {
    return this.pass !== undefined;
  }

  /** The finalize command, before the move to finalizing: block writes if asked and record the start. */
  async begin(run: Run, options: FinalizeOptions): Promise<void> {
    if (options.blockSourceWrites) {
      await blockSourceWrites(run.ctx.source, this.log);
      this.sourceWritesBlocked = true;
    }
    run.finalization = { options, startedAt: new Date().toISOString(), unsuccessfulIndexes: [] };
  }

  /** Catch up, stop, restore indexes, count, in the background; then the hooks hear how it ended. */
  startPass(run: Run): void {
    const replicationRunning = run.replicating;
    run.detach();
    this.pass = (async () => {
      try {
        const outcome = await finalizePass({
          source: run.ctx.source,
          target: run.ctx.target,
          replicator: run.replicator,
          catalog: run.catalog,
          log: this.log,
          resumePoint: run.resumePoint,
          replicationRunning,
          sourceWritesBlocked: this.sourceWritesBlocked,
          listSource: () => run.catalog.listSource(),
        });
        await this.releaseWriteBlock(run.ctx.source);
        if (run.finalization) {
          Object.assign(run.finalization, outcome, { completedAt: new Date().toISOString() });
        }
        await this.hooks.finished(run, outcome);
      } catch (error) {
        await this.releaseWriteBlock(run.ctx.source).catch(() => undefined);
        await this.hooks.failed(run, error);
      } finally {
        this.pass = undefined;
      }
    })();
  }

  /**
   * A run recovered in finalizing: its pass starts over. If the interrupted pass had the source's
   * writes blocked, they are blocked again (the block may have been lifted meanwhile) and released
   * at the end as usual.
   */
  async resume(run: Run): Promise<void> {
    this.sourceWritesBlocked = run.finalization?.options.blockSourceWrites === true;
    if (this.sourceWritesBlocked) await blockSourceWrites(run.ctx.source, this.log);
    this.startPass(run);
  }

  /** Reset: a finalize stopped half way (failed, or never resumed) may have left the source read-only. */
  async releaseInterrupted(
    finalization: FinalizeRecord | undefined,
    source: () => Promise<MongoClient>,
  ): Promise<void> {
    if (!finalization?.options.blockSourceWrites || finalization.completedAt !== undefined) return;
    await releaseSourceWrites(await source(), this.log);
    this.sourceWritesBlocked = false;
  }

  /** Resolves once a pass in progress has ended, however it ended (graceful shutdown). */
  async settled(): Promise<void> {
    await this.pass?.catch(() => undefined);
  }

  private async releaseWriteBlock(source: MongoClient): Promise<void> {
    if (!this.sourceWritesBlocked) return;
    await releaseSourceWrites(source, this.log);
    this.sourceWritesBlocked = false;
  }
}
