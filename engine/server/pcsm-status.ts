// The PCSM-compatible GET /status body, derived from Ferry's StatusSnapshot. Field names, formats and
// which fields are left out follow PCSM v0.9 (pcsm.md §2; its statusResponse with Go's omitempty), so
// scripts and dashboards written for PCSM read Ferry the same way:
// - idle: only ok, error, state and the three counters (all 0);
// - lastReplicatedOpTime once known, as "T.I" and an RFC 3339 date to the second;
// - initialSync whenever not idle; finalization only after finalize was asked for.
import type { EnginePhase, OpTime, StatusSnapshot, UnsuccessfulIndex } from '../protocol.js';

export interface PcsmStatus {
  ok: boolean;
  error?: string;
  state: StatusSnapshot['state'];
  info?: string;
  lagTimeSeconds: number;
  eventsRead: number;
  eventsApplied: number;
  lastReplicatedOpTime?: { ts: string; isoDate: string };
  initialSync?: {
    lagTimeSeconds?: number;
    estimatedCloneSizeBytes?: number;
    clonedSizeBytes: number;
    completed: boolean;
    cloneCompleted: boolean;
  };
  finalization?: {
    completed: boolean;
    startedAt?: string;
    completedAt?: string;
    unsuccessfulIndexes?: UnsuccessfulIndex[];
  };
}

const infoByPhase: Partial<Record<EnginePhase, string>> = {
  cloning: 'Initial Sync: Cloning Data',
  'catching-up': 'Initial Sync: Replicating Changes',
  replicating: 'Replicating Changes',
  finalizing: 'Finalizing',
  finalized: 'Finalized',
  failed: 'Failed',
};

export function pcsmStatus(snapshot: StatusSnapshot): PcsmStatus {
  // A transient error the engine is retrying through is shown in Ferry's own API; for PCSM's `ok`, which
  // scripts treat as "something is wrong", only errors that need the operator count.
  const error =
    snapshot.error && (snapshot.state === 'failed' || !snapshot.error.transient) ? snapshot.error : undefined;
  const status: PcsmStatus = {
    ok: error === undefined,
    state: snapshot.state,
    lagTimeSeconds: 0,
    eventsRead: 0,
    eventsApplied: 0,
  };
  if (error) status.error = error.message;
  if (snapshot.state === 'idle') return status;

  const info = infoByPhase[snapshot.phase];
  if (info) status.info = info;
  status.lagTimeSeconds = Math.trunc(snapshot.lagSeconds);
  status.eventsRead = snapshot.eventsRead;
  status.eventsApplied = snapshot.eventsApplied;
  if (snapshot.lastReplicatedOpTime && snapshot.lastReplicatedOpTime.t > 0) {
    status.lastReplicatedOpTime = pcsmOpTime(snapshot.lastReplicatedOpTime);
  }

  const { initialSync } = snapshot;
  status.initialSync = {
    clonedSizeBytes: initialSync.clonedSizeBytes,
    completed: initialSync.completed,
    cloneCompleted: initialSync.cloneCompleted,
  };
  // Until initial sync completes its lag is the whole lag (pcsm.md §2); omitted when zero, as Go's omitempty does.
  const initialSyncLag = initialSync.completed ? 0 : status.lagTimeSeconds;
  if (initialSyncLag !== 0) status.initialSync.lagTimeSeconds = initialSyncLag;
  if (initialSync.estimatedCloneSizeBytes !== 0)
    status.initialSync.estimatedCloneSizeBytes = initialSync.estimatedCloneSizeBytes;

  const { finalization } = snapshot;
  if (finalization) {
    status.finalization = { completed: finalization.completed };
    if (finalization.startedAt) status.finalization.startedAt = finalization.startedAt;
    if (finalization.completedAt) status.finalization.completedAt = finalization.completedAt;
    if (finalization.unsuccessfulIndexes.length > 0)
      status.finalization.unsuccessfulIndexes = finalization.unsuccessfulIndexes;
  }
  return status;
}

/** PCSM's form of a cluster time: "T.I", and the seconds as an RFC 3339 UTC date (no fraction). */
export function pcsmOpTime(time: OpTime): { ts: string; isoDate: string } {
  return { ts: `${time.t}.${time.i}`, isoDate: new Date(time.t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}
