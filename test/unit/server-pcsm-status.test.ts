import { describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../engine/protocol.js';
import { pcsmOpTime, pcsmStatus } from '../../engine/server/pcsm-status.js';

function snapshot(overrides: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    state: 'running',
    phase: 'replicating',
    lagSeconds: 2,
    eventsRead: 1200,
    eventsApplied: 1180,
    eventsPerSecond: 10,
    copyBytesPerSecond: 0,
    lastReplicatedOpTime: { t: 1719400000, i: 5 },
    initialSync: {
      completed: true,
      cloneCompleted: true,
      estimatedCloneSizeBytes: 1048576,
      clonedSizeBytes: 1048576,
      clonedDocuments: 10,
    },
    collections: [],
    at: '2024-06-26T11:06:40.000Z',
    ...overrides,
  };
}

describe("PCSM's /status shape", () => {
  it('shows idle with only ok, state and zero counters, as PCSM does', () => {
    const idle = pcsmStatus(snapshot({ state: 'idle', phase: 'idle', lastReplicatedOpTime: undefined }));
    expect(idle).toEqual({ ok: true, state: 'idle', lagTimeSeconds: 0, eventsRead: 0, eventsApplied: 0 });
    expect(Object.keys(idle)).toEqual(['ok', 'state', 'lagTimeSeconds', 'eventsRead', 'eventsApplied']);
  });

  it('shows a replicating run with every PCSM field', () => {
    expect(pcsmStatus(snapshot())).toEqual({
      ok: true,
      state: 'running',
      info: 'Replicating Changes',
      lagTimeSeconds: 2,
      eventsRead: 1200,
      eventsApplied: 1180,
      lastReplicatedOpTime: { ts: '1719400000.5', isoDate: '2024-06-26T11:06:40Z' },
      initialSync: {
        estimatedCloneSizeBytes: 1048576,
        clonedSizeBytes: 1048576,
        completed: true,
        cloneCompleted: true,
      },
    });
  });

  it("names each phase as PCSM's info does, and leaves info out when paused", () => {
    const info = (state: StatusSnapshot['state'], phase: StatusSnapshot['phase']) =>
      pcsmStatus(snapshot({ state, phase })).info;
    expect(info('running', 'cloning')).toBe('Initial Sync: Cloning Data');
    expect(info('running', 'catching-up')).toBe('Initial Sync: Replicating Changes');
    expect(info('running', 'replicating')).toBe('Replicating Changes');
    expect(info('finalizing', 'finalizing')).toBe('Finalizing');
    expect(info('finalized', 'finalized')).toBe('Finalized');
    expect(info('failed', 'failed')).toBe('Failed');
    expect(info('paused', 'paused')).toBeUndefined();
  });

  it('gives initial sync the whole lag until it completes, and omits zero values as omitempty does', () => {
    const cloning = pcsmStatus(
      snapshot({
        phase: 'cloning',
        lagSeconds: 7,
        lastReplicatedOpTime: undefined,
        initialSync: {
          completed: false,
          cloneCompleted: false,
          estimatedCloneSizeBytes: 0,
          clonedSizeBytes: 0,
          clonedDocuments: 0,
        },
      }),
    );
    expect(cloning.initialSync).toEqual({
      lagTimeSeconds: 7,
      clonedSizeBytes: 0,
      completed: false,
      cloneCompleted: false,
    });
    expect(cloning.lastReplicatedOpTime).toBeUndefined();
  });

  it('reports a failure as ok:false with the message, and a transient retry as ok', () => {
    const failed = pcsmStatus(
      snapshot({ state: 'failed', phase: 'failed', error: { code: 'HISTORY_LOST', message: 'oplog history is lost' } }),
    );
    expect(failed).toMatchObject({ ok: false, error: 'oplog history is lost', info: 'Failed' });
    const retrying = pcsmStatus(
      snapshot({ error: { code: 'CONNECTION_FAILED', message: 'unreachable', transient: true } }),
    );
    expect(retrying.ok).toBe(true);
    expect(retrying.error).toBeUndefined();
    const blocked = pcsmStatus(
      snapshot({
        state: 'idle',
        phase: 'idle',
        error: { code: 'CHECKPOINT_OTHER_CLUSTER', message: 'other clusters' },
      }),
    );
    expect(blocked).toEqual({
      ok: false,
      error: 'other clusters',
      state: 'idle',
      lagTimeSeconds: 0,
      eventsRead: 0,
      eventsApplied: 0,
    });
  });

  it('shows finalization only once asked for, with unsuccessful indexes only when there are some', () => {
    expect(pcsmStatus(snapshot()).finalization).toBeUndefined();
    const started = pcsmStatus(
      snapshot({
        state: 'finalizing',
        phase: 'finalizing',
        finalization: { completed: false, startedAt: '2024-06-26T11:07:00.000Z', unsuccessfulIndexes: [] },
      }),
    );
    expect(started.finalization).toEqual({ completed: false, startedAt: '2024-06-26T11:07:00.000Z' });
    const index = {
      namespace: 'db.c',
      indexName: 'x_1',
      type: 'failed' as const,
      keys: { x: 1 },
      reason: 'duplicate key',
    };
    const done = pcsmStatus(
      snapshot({
        state: 'finalized',
        phase: 'finalized',
        finalization: {
          completed: true,
          startedAt: 'a',
          completedAt: 'b',
          unsuccessfulIndexes: [index],
          countMismatches: [],
        },
      }),
    );
    expect(done.finalization).toEqual({
      completed: true,
      startedAt: 'a',
      completedAt: 'b',
      unsuccessfulIndexes: [index],
    });
  });

  it('writes a cluster time as "T.I" and its seconds as an RFC 3339 date', () => {
    expect(pcsmOpTime({ t: 1719400000, i: 0 })).toEqual({ ts: '1719400000.0', isoDate: '2024-06-26T11:06:40Z' });
  });
});
