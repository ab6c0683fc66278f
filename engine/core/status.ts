// The status snapshot (engine/protocol.ts StatusSnapshot) derived from what the engine knows, as pure
// functions: the engine gathers the facts, these turn them into what the UI, /status and the metrics
// show. Definitions follow PCSM (pcsm.md §1) so its users read the numbers the same way:
// - initial sync is completed once replication has applied (or caught up) past the clone's finish time;
// - lag is the source's cluster time minus the last replicated time, T0 standing in before the
//   first event; it is 0 when nothing runs.
import type {
  CollectionProgress,
  EnginePhase,
  EngineState,
  FerryErrorInfo,
  OpTime,
  StatusSnapshot,
} from '../protocol.js';
import type { CounterTotals } from './metrics.js';
import { compareOpTimes } from './repl/resume-token.js';

export interface StatusFacts {
  state: EngineState;
  runId?: string;
  error?: FerryErrorInfo;
  /** T0. */
  startTime?: OpTime;
  /** Source cluster time taken when the clone completed. */
  cloneFinishTime?: OpTime;
  cloneCompleted: boolean;
  replicationStarted: boolean;
  lastReplicated?: OpTime;
  /** The source's latest cluster time, read about once a second while the engine runs. */
  sourceClusterTime?: OpTime;
  totals: CounterTotals;
  collections: CollectionProgress[];
  eventsPerSecond: number;
  copyBytesPerSecond: number;
  finalization?: StatusSnapshot['finalization'];
  now: Date;
}

export function initialSyncCompleted(
  facts: Pick<StatusFacts, 'replicationStarted' | 'lastReplicated' | 'cloneFinishTime'>,
): boolean {
  const { replicationStarted, lastReplicated, cloneFinishTime } = facts;
  if (!replicationStarted || lastReplicated === undefined || cloneFinishTime === undefined) return false;
  return compareOpTimes(lastReplicated, cloneFinishTime) > 0;
}

export function lagSeconds(
  facts: Pick<StatusFacts, 'state' | 'sourceClusterTime' | 'lastReplicated' | 'startTime'>,
): number {
  if (facts.state === 'idle' || facts.state === 'finalized') return 0;
  const reference = facts.lastReplicated ?? facts.startTime;
  if (facts.sourceClusterTime === undefined || reference === undefined) return 0;
  return Math.max(0, facts.sourceClusterTime.t - reference.t);
}

/** Seconds the replicator still has to go to reach the clone's finish time; undefined once past it. */
export function initialSyncLagSeconds(facts: StatusFacts): number | undefined {
  if (!facts.cloneCompleted || facts.cloneFinishTime === undefined || initialSyncCompleted(facts)) return undefined;
  const reference = facts.lastReplicated ?? facts.startTime;
  return reference === undefined ? undefined : Math.max(0, facts.cloneFinishTime.t - reference.t);
}

export function phaseOf(facts: StatusFacts): EnginePhase {
  switch (facts.state) {
    case 'running':
      if (!facts.cloneCompleted) return 'cloning';
      return initialSyncCompleted(facts) ? 'replicating' : 'catching-up';
    default:
      return facts.state;
  }
}

/**
 * The clone's size estimate: the collection stats taken when the clone started, raised to what was
 * actually copied where that is more (stats lag behind a collection that grows during the clone).
 */
export function estimatedCloneBytes(collections: readonly CollectionProgress[]): number {
  return collections.reduce((sum, collection) => sum + Math.max(collection.estimatedBytes, collection.copiedBytes), 0);
}

export function cloneEtaSeconds(facts: StatusFacts): number | undefined {
  if (facts.cloneCompleted || facts.state !== 'running' || facts.copyBytesPerSecond <= 0) return undefined;
  const remaining = Math.max(0, estimatedCloneBytes(facts.collections) - facts.totals.clonedBytes);
  return Math.ceil(remaining / facts.copyBytesPerSecond);
}

export function statusSnapshot(facts: StatusFacts): StatusSnapshot {
  const snapshot: StatusSnapshot = {
    state: facts.state,
    phase: phaseOf(facts),
    lagSeconds: lagSeconds(facts),
    eventsRead: facts.totals.eventsRead,
    eventsApplied: facts.totals.eventsApplied,
    eventsPerSecond: round(facts.eventsPerSecond),
    copyBytesPerSecond: Math.round(facts.copyBytesPerSecond),
    initialSync: {
      completed: initialSyncCompleted(facts),
      cloneCompleted: facts.cloneCompleted,
      estimatedCloneSizeBytes: estimatedCloneBytes(facts.collections),
      clonedSizeBytes: facts.totals.clonedBytes,
      clonedDocuments: facts.totals.clonedDocuments,
    },
    collections: facts.collections,
    at: facts.now.toISOString(),
  };
  const eta = cloneEtaSeconds(facts);
  if (eta !== undefined) snapshot.initialSync.etaSeconds = eta;
  if (facts.runId !== undefined) snapshot.runId = facts.runId;
  if (facts.error !== undefined) snapshot.error = facts.error;
  if (facts.lastReplicated !== undefined) snapshot.lastReplicatedOpTime = { ...facts.lastReplicated };
  if (facts.startTime !== undefined) snapshot.startOpTime = { ...facts.startTime };
  if (facts.finalization !== undefined) snapshot.finalization = facts.finalization;
  return snapshot;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * A per-second rate of a growing total over a sliding window: the engine samples the total about
 * twice a second and asks for the rate over the last few seconds, which smooths bursty batches.
 */
export class RateWindow {
  private readonly samples: { at: number; total: number }[] = [];

  constructor(private readonly windowMs = 5000) {}

  sample(total: number, at: number): void {
    this.samples.push({ at, total });
    while (this.samples.length > 2 && this.samples[0].at < at - this.windowMs) this.samples.shift();
  }

  /** Per second over the window; 0 until two samples a moment apart exist. */
  perSecond(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? Math.max(0, last.total - first.total) / seconds : 0;
  }

  reset(): void {
    this.samples.length = 0;
  }
}
