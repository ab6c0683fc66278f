import { describe, expect, it } from 'vitest';
import { engineStates, type EngineState } from '../../engine/protocol.js';
import { decide, type EngineCommand, type StateContext } from '../../engine/core/state.js';

function context(state: EngineState, overrides: Partial<StateContext> = {}): StateContext {
  return { state, cloneCompleted: true, replicationStarted: true, initialSyncCompleted: true, ...overrides };
}

function refusal(command: EngineCommand, ctx: StateContext): string {
  const decision = decide(command, ctx);
  if (decision.ok) throw new Error(`expected ${command.type} to be refused in ${ctx.state}`);
  expect(decision.error.code).toBe('INVALID_STATE');
  return decision.error.message;
}

function next(command: EngineCommand, ctx: StateContext): EngineState {
  const decision = decide(command, ctx);
  if (!decision.ok) throw new Error(`expected ${command.type} to be allowed: ${decision.error.message}`);
  return decision.next;
}

describe('the engine state machine', () => {
  it('runs the main path: idle → running → paused ⇄ running → finalizing → finalized', () => {
    expect(next({ type: 'start' }, context('idle'))).toBe('running');
    expect(next({ type: 'pause' }, context('running'))).toBe('paused');
    expect(next({ type: 'resume' }, context('paused'))).toBe('running');
    expect(next({ type: 'finalize' }, context('running'))).toBe('finalizing');
    expect(next({ type: 'finalizeDone' }, context('finalizing'))).toBe('finalized');
  });

  it('lets a finalized migration start a new run', () => {
    expect(next({ type: 'start' }, context('finalized'))).toBe('running');
  });

  it('moves to failed from any state', () => {
    const error = { code: 'X', message: 'boom' };
    for (const state of engineStates) expect(next({ type: 'fail', error }, context(state))).toBe('failed');
  });

  it('allows read-only commands in every state', () => {
    for (const state of engineStates) {
      for (const type of ['status', 'testConnection', 'listNamespaces', 'preflight'] as const) {
        expect(next({ type }, context(state))).toBe(state);
      }
    }
  });

  describe('start', () => {
    it("refuses with PCSM's words while running or finalizing", () => {
      expect(refusal({ type: 'start' }, context('running'))).toBe('already running');
      expect(refusal({ type: 'start' }, context('finalizing'))).toBe('already running');
    });

    it('says what to do when paused or failed, where PCSM says "paused" or "already running"', () => {
      expect(refusal({ type: 'start' }, context('paused'))).toBe('cannot start: paused');
      const decision = decide({ type: 'start' }, context('failed'));
      expect(decision).toMatchObject({ ok: false, error: { message: 'cannot start: the last run failed' } });
      expect(decision.ok === false && decision.error.remedy).toMatch(/fromFailure/);
    });
  });

  describe('pause', () => {
    it('pauses during the clone, which PCSM refuses', () => {
      expect(next({ type: 'pause' }, context('running', { cloneCompleted: false, replicationStarted: false }))).toBe(
        'paused',
      );
    });

    it('refuses when not running', () => {
      for (const state of ['idle', 'finalizing', 'finalized', 'failed'] as const) {
        expect(refusal({ type: 'pause' }, context(state))).toBe('cannot pause: not running');
      }
      expect(refusal({ type: 'pause' }, context('paused'))).toBe('cannot pause: already paused');
    });
  });

  describe('resume', () => {
    it('resumes a clone that was paused before replication started', () => {
      expect(next({ type: 'resume' }, context('paused', { cloneCompleted: false, replicationStarted: false }))).toBe(
        'running',
      );
    });

    it('resumes from failure only when asked to, even when the clone had not finished', () => {
      const failed = context('failed', {
        cloneCompleted: false,
        replicationStarted: false,
        error: { code: 'TIMEOUT', message: 't' },
      });
      expect(refusal({ type: 'resume' }, failed)).toBe('cannot resume: not paused or not resuming from failure');
      expect(next({ type: 'resume', fromFailure: true }, failed)).toBe('running');
    });

    it('refuses to resume when the oplog no longer reaches the resume point, and says why', () => {
      const error = {
        code: 'HISTORY_LOST',
        message: 'oplog history is lost',
        remedy: 'Enlarge the oplog, then reset.',
      };
      const decision = decide({ type: 'resume', fromFailure: true }, context('failed', { error }));
      expect(decision).toEqual({
        ok: false,
        error: {
          code: 'INVALID_STATE',
          message: 'cannot resume: oplog history is lost',
          remedy: 'Enlarge the oplog, then reset.',
        },
      });
    });

    it('refuses in the other states', () => {
      for (const state of ['idle', 'running', 'finalizing', 'finalized'] as const) {
        expect(refusal({ type: 'resume', fromFailure: true }, context(state))).toBe(
          'cannot resume: not paused or not resuming from failure',
        );
      }
    });
  });

  describe('finalize', () => {
    it("checks PCSM's preconditions in PCSM's order", () => {
      const none = { cloneCompleted: false, replicationStarted: false, initialSyncCompleted: false };
      expect(refusal({ type: 'finalize' }, context('running', none))).toBe('clone is not completed');
      expect(refusal({ type: 'finalize' }, context('running', { ...none, cloneCompleted: true }))).toBe(
        'change replication is not started',
      );
      expect(refusal({ type: 'finalize' }, context('paused', { initialSyncCompleted: false }))).toBe(
        'initial sync is not completed',
      );
    });

    it('finalizes from paused as well as running', () => {
      expect(next({ type: 'finalize' }, context('paused'))).toBe('finalizing');
    });

    it('names the failure when failed', () => {
      const error = { code: 'TIMEOUT', message: 'the operation timed out' };
      expect(refusal({ type: 'finalize' }, context('failed', { error }))).toBe('failed state: the operation timed out');
    });

    it('accepts a repeated finalize while finalizing, to rerun the pass after a restart', () => {
      expect(next({ type: 'finalize' }, context('finalizing'))).toBe('finalizing');
    });

    it('refuses once finalized, since the target may already take writes', () => {
      expect(refusal({ type: 'finalize' }, context('finalized'))).toBe('cannot finalize: already finalized');
    });

    it('says nothing is running when idle, where PCSM says the clone is not completed', () => {
      expect(refusal({ type: 'finalize' }, context('idle'))).toBe('cannot finalize: no migration is running');
    });

    it('completes only from finalizing', () => {
      expect(refusal({ type: 'finalizeDone' }, context('running'))).toBe('cannot complete finalize: running');
    });
  });

  describe('reset', () => {
    it('returns to idle from a stopped migration', () => {
      for (const state of ['idle', 'paused', 'failed', 'finalized'] as const) {
        expect(next({ type: 'reset' }, context(state))).toBe('idle');
      }
    });

    it('refuses while work is in progress', () => {
      expect(refusal({ type: 'reset' }, context('running'))).toBe('cannot reset: running');
      expect(refusal({ type: 'reset' }, context('finalizing'))).toBe('cannot reset: finalizing');
    });
  });

  it('changes connections only when no migration holds them', () => {
    for (const state of ['idle', 'failed', 'finalized'] as const)
      expect(next({ type: 'setConnection' }, context(state))).toBe(state);
    for (const state of ['running', 'paused', 'finalizing'] as const) {
      expect(refusal({ type: 'setConnection' }, context(state))).toBe(`cannot change connections: ${state}`);
    }
  });

  it('recovers every saved state as it was, a run that crashed mid-clone included', () => {
    for (const state of engineStates) {
      expect(next({ type: 'recover' }, context(state, { cloneCompleted: false, replicationStarted: false }))).toBe(
        state,
      );
    }
  });
});
