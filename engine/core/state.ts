// The engine's state machine, in one place. Every command and every internal event asks decide()
// whether it may happen now and which state follows; the answer for a refusal is the message the
// operator sees. Wording follows PCSM (pcsm.md §1) so its users recognise it, except where PCSM's
// behaviour is wrong for Ferry:
// - pause is allowed during the clone (the clone stops at a segment boundary); PCSM refuses it;
// - a crash or failure during the clone is resumable, because finished segments are checkpointed;
// - start from failed says what to do instead of PCSM's misleading "already running";
// - finalize from idle says nothing is running instead of "clone is not completed";
// - finalize from finalized is refused: replication has stopped and applications may already write
//   to the target, so catching up again would overwrite their writes.
import type { EngineState, FerryErrorInfo } from '../protocol.js';

export type EngineCommand =
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'resume'; fromFailure?: boolean }
  | { type: 'finalize' }
  | { type: 'reset' }
  | { type: 'setConnection' }
  /** Read-only commands: allowed in every state. */
  | { type: 'testConnection' | 'listNamespaces' | 'preflight' | 'status' }
  /** Internal: the run hit an error it cannot get past. */
  | { type: 'fail'; error: FerryErrorInfo }
  /** Internal: the finalize pass (catch up, restore indexes, verify) completed. */
  | { type: 'finalizeDone' }
  /** Internal: the process restarted and found a checkpoint saved in `context.state`. */
  | { type: 'recover' };

export interface StateContext {
  state: EngineState;
  /** Every segment of every collection has been copied. */
  cloneCompleted: boolean;
  /** The change stream has been opened at least once for this run. */
  replicationStarted: boolean;
  /** Replication has applied events past the clone's finish time (PCSM's InitialSyncCompleted). */
  initialSyncCompleted: boolean;
  /** Why the run failed, in state failed. */
  error?: FerryErrorInfo;
}

export type Decision = { ok: true; next: EngineState } | { ok: false; error: FerryErrorInfo };

/** Whether a command may run in the given context, and the state it leads to. Pure. */
export function decide(command: EngineCommand, context: StateContext): Decision {
  const { state } = context;
  switch (command.type) {
    case 'testConnection':
    case 'listNamespaces':
    case 'preflight':
    case 'status':
      return allow(state);
    case 'setConnection':
      if (state === 'running' || state === 'paused' || state === 'finalizing') {
        return refuse(
          `cannot change connections: ${state}`,
          'Finalize or reset the migration first; a run keeps the clusters it started with.',
        );
      }
      return allow(state);
    case 'start':
      return decideStart(state);
    case 'pause':
      if (state === 'running') return allow('paused');
      if (state === 'paused') return refuse('cannot pause: already paused');
      return refuse('cannot pause: not running');
    case 'resume':
      return decideResume(command.fromFailure === true, context);
    case 'finalize':
      return decideFinalize(context);
    case 'reset':
      if (state === 'running' || state === 'finalizing') {
        return refuse(`cannot reset: ${state}`, 'Pause the migration first, or wait until it is finalized.');
      }
      return allow('idle');
    case 'fail':
      return allow('failed');
    case 'finalizeDone':
      return state === 'finalizing' ? allow('finalized') : refuse(`cannot complete finalize: ${state}`);
    case 'recover':
      // Every saved state comes back as it was: running carries on from the checkpoint (mid-clone
      // included), finalizing reruns its pass, and paused or failed wait for the operator.
      return allow(state);
  }
}

function decideStart(state: EngineState): Decision {
  switch (state) {
    case 'idle':
    case 'finalized':
      return allow('running');
    case 'running':
    case 'finalizing':
      return refuse('already running');
    case 'paused':
      return refuse('cannot start: paused', 'Resume the migration, or reset it to start over.');
    case 'failed':
      return refuse(
        'cannot start: the last run failed',
        'Fix the cause and resume with fromFailure, or reset to start over.',
      );
  }
}

function decideResume(fromFailure: boolean, context: StateContext): Decision {
  const { state, error } = context;
  if (state === 'paused') return allow('running');
  if (state === 'failed' && fromFailure) {
    if (error?.code === 'HISTORY_LOST') {
      // Resuming reopens the stream at the same resume point, which the oplog no longer holds.
      return refuse(`cannot resume: ${error.message}`, error.remedy);
    }
    return allow('running');
  }
  return refuse(
    'cannot resume: not paused or not resuming from failure',
    state === 'failed' ? 'Fix the cause, then resume with fromFailure.' : undefined,
  );
}

function decideFinalize(context: StateContext): Decision {
  const { state } = context;
  switch (state) {
    case 'idle':
      return refuse('cannot finalize: no migration is running');
    case 'failed':
      return refuse(
        `failed state: ${context.error?.message ?? 'unknown error'}`,
        'Fix the cause and resume with fromFailure; finalize once initial sync has completed.',
      );
    case 'finalized':
      return refuse('cannot finalize: already finalized', 'Start a new migration to copy the source again.');
    case 'finalizing':
      // Sending finalize again reruns the pass, e.g. after a restart that stopped it half way.
      return allow('finalizing');
    case 'running':
    case 'paused':
      if (!context.cloneCompleted) return refuse('clone is not completed', 'Wait for the clone to finish.');
      if (!context.replicationStarted) {
        return refuse('change replication is not started', 'Resume the migration so replication can start.');
      }
      if (!context.initialSyncCompleted) {
        return refuse(
          'initial sync is not completed',
          'Wait until replication has caught up with the changes made during the clone.',
        );
      }
      return allow('finalizing');
  }
}

function allow(next: EngineState): Decision {
  return { ok: true, next };
}

function refuse(message: string, remedy?: string): Decision {
  const error: FerryErrorInfo = { code: 'INVALID_STATE', message };
  if (remedy !== undefined) error.remedy = remedy;
  return { ok: false, error };
}
