// A soft lock on the target: one document in `<metadataDb>.heartbeats`, refreshed every few seconds
// by the engine that runs the migration. Two engines writing into one target would interleave clone
// batches and replayed events from different points in time and corrupt it, so a second engine is
// refused while the heartbeat is fresh. A dead engine's heartbeat goes stale and can be taken over.
//
// Times are the target server's clock (hello.localTime), both when writing and when judging
// freshness, so two hosts with skewed clocks still agree. Taking the lock is one conditional upsert:
// two engines racing for it cannot both win (the loser's upsert meets a duplicate _id).
//
// Differences from PCSM (pcsm.md §6): PCSM blocks its startup until the other heartbeat is stale and
// only logs when it later finds another process writing; Ferry refuses with a clear message at once,
// and an engine that finds its heartbeat taken over stops instead of carrying on beside the other.
import { hostname } from 'node:os';
import type { Collection, Document, MongoClient } from 'mongodb';
import { classify, FerryError } from './errors.js';
import type { EngineLog } from './parts.js';

export const HEARTBEAT_COLLECTION = 'heartbeats';
const HEARTBEAT_ID = 'heartbeat';
const DUPLICATE_KEY = 11000;

export interface HeartbeatTiming {
  intervalMs: number;
  /** A heartbeat older than this belongs to an engine presumed dead. */
  staleMs: number;
}

export const defaultHeartbeatTiming: HeartbeatTiming = { intervalMs: 5000, staleMs: 30_000 };

interface HeartbeatDocument {
  _id: string;
  owner: string;
  host: string;
  pid: number;
  at: Date;
  since: Date;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  /**
   * `owner` identifies the engine instance; an EngineHost passes the same one to every worker it
   * starts, so a worker restarted after a crash takes over its predecessor's fresh heartbeat.
   */
  constructor(
    private readonly target: MongoClient,
    private readonly metadataDb: string,
    private readonly owner: string,
    private readonly log: EngineLog,
    private readonly timing: HeartbeatTiming = defaultHeartbeatTiming,
    /** Called when another engine took the heartbeat over: this one must stop writing. */
    private readonly onLost: (error: FerryError) => void = () => undefined,
  ) {}

  get held(): boolean {
    return this.timer !== undefined;
  }

  private get collection(): Collection<HeartbeatDocument> {
    return this.target.db(this.metadataDb).collection<HeartbeatDocument>(HEARTBEAT_COLLECTION);
  }

  /** Takes the lock (or keeps it) and starts beating; throws HEARTBEAT_HELD while another engine is alive. */
  async acquire(): Promise<void> {
    const now = await this.serverTime();
    const staleBefore = new Date(now.getTime() - this.timing.staleMs);
    try {
      await this.collection.updateOne(
        { _id: HEARTBEAT_ID, $or: [{ owner: this.owner }, { at: { $lt: staleBefore } }] },
        { $set: { owner: this.owner, host: hostname(), pid: process.pid, at: now, since: now } },
        { upsert: true },
      );
    } catch (error) {
      if (serverCode(error) !== DUPLICATE_KEY) throw FerryError.from(error);
      throw await this.heldError(now);
    }
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.beat(), this.timing.intervalMs);
      this.timer.unref();
    }
  }

  /** Stops beating and removes the heartbeat, if it is still this engine's. */
  async release(): Promise<void> {
    this.stop();
    await this.beating;
    await this.collection.deleteOne({ _id: HEARTBEAT_ID, owner: this.owner }).catch((error: unknown) => {
      this.log.warn('could not remove the heartbeat; it goes stale on its own', { error: classify(error).message });
    });
  }

  /** Stops beating without removing the document (a crash looks like this to the next engine). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private beat(): Promise<void> {
    this.beating ??= this.refresh().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  private async refresh(): Promise<void> {
    try {
      const now = await this.serverTime();
      const result = await this.collection.updateOne({ _id: HEARTBEAT_ID, owner: this.owner }, { $set: { at: now } });
      if (result.matchedCount === 0 && this.timer !== undefined) {
        this.stop();
        this.onLost(await this.heldError(now, 'HEARTBEAT_LOST'));
      }
    } catch (error) {
      // A missed beat is harmless while the next ones arrive before the heartbeat goes stale.
      this.log.warn('heartbeat not refreshed', { error: classify(error).message });
    }
  }

  private async heldError(now: Date, code = 'HEARTBEAT_HELD'): Promise<FerryError> {
    const other = await this.collection.findOne({ _id: HEARTBEAT_ID }).catch(() => null);
    const who = other
      ? `${other.host} (pid ${other.pid}), running since ${other.since.toISOString()}`
      : 'another process';
    const age = other ? Math.max(0, Math.round((now.getTime() - other.at.getTime()) / 1000)) : undefined;
    const seen = age === undefined ? '' : `; its last heartbeat was ${age} s ago`;
    const staleSeconds = Math.round(this.timing.staleMs / 1000);
    return new FerryError({
      code,
      message:
        code === 'HEARTBEAT_LOST'
          ? `another Ferry instance took over this target: ${who}${seen}`
          : `another Ferry instance is migrating into this target: ${who}${seen}`,
      remedy: `Stop the other instance first. If it is no longer running, its heartbeat goes stale ${staleSeconds} s after its last beat; then try again.`,
    });
  }

  /** The target server's clock. */
  private async serverTime(): Promise<Date> {
    const hello: Document = await this.target.db('admin').command({ hello: 1 });
    return hello.localTime instanceof Date ? hello.localTime : new Date();
  }
}

function serverCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}
