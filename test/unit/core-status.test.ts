import { describe, expect, it } from 'vitest';
import type { CollectionProgress } from '../../engine/protocol.js';
import { zeroTotals } from '../../engine/core/metrics.js';
import {
  cloneEtaSeconds,
  estimatedCloneBytes,
  initialSyncCompleted,
  initialSyncLagSeconds,
  lagSeconds,
  phaseOf,
  RateWindow,
  statusSnapshot,
  type StatusFacts,
} from '../../engine/core/status.js';

function facts(overrides: Partial<StatusFacts> = {}): StatusFacts {
  return {
    state: 'running',
    cloneCompleted: false,
    replicationStarted: false,
    totals: { ...zeroTotals },
    collections: [],
    eventsPerSecond: 0,
    copyBytesPerSecond: 0,
    now: new Date('2025-01-01T00:00:00Z'),
    ...overrides,
  };
}

function collection(overrides: Partial<CollectionProgress>): CollectionProgress {
  return {
    namespace: 'app.items',
    kind: 'collection',
    state: 'cloning',
    estimatedBytes: 0,
    copiedBytes: 0,
    copiedDocuments: 0,
    segmentsDone: 0,
    segmentsTotal: 1,
    ...overrides,
  };
}

describe('initial sync', () => {
  const cloneFinishTime = { t: 100, i: 5 };

  it('is not completed before replication has started', () => {
    expect(initialSyncCompleted({ replicationStarted: false, cloneFinishTime, lastReplicated: { t: 200, i: 0 } })).toBe(
      false,
    );
  });

  it('is not completed while replication is at the clone finish time', () => {
    expect(initialSyncCompleted({ replicationStarted: true, cloneFinishTime, lastReplicated: { t: 100, i: 5 } })).toBe(
      false,
    );
  });

  it('is completed once replication has passed the clone finish time, by the increment too', () => {
    expect(initialSyncCompleted({ replicationStarted: true, cloneFinishTime, lastReplicated: { t: 100, i: 6 } })).toBe(
      true,
    );
  });

  it('reports how far replication still is from the clone finish time', () => {
    const status = facts({
      cloneCompleted: true,
      replicationStarted: true,
      cloneFinishTime,
      startTime: { t: 40, i: 0 },
    });
    expect(initialSyncLagSeconds(status)).toBe(60);
    expect(initialSyncLagSeconds({ ...status, lastReplicated: { t: 90, i: 0 } })).toBe(10);
    expect(initialSyncLagSeconds({ ...status, lastReplicated: { t: 101, i: 0 } })).toBeUndefined();
  });
});

describe('lag', () => {
  it('is the source cluster time minus the last replicated time', () => {
    expect(lagSeconds(facts({ sourceClusterTime: { t: 130, i: 1 }, lastReplicated: { t: 100, i: 9 } }))).toBe(30);
  });

  it('counts from T0 before anything was replicated', () => {
    expect(lagSeconds(facts({ sourceClusterTime: { t: 130, i: 1 }, startTime: { t: 120, i: 0 } }))).toBe(10);
  });

  it('is 0 when idle or finalized, and never negative', () => {
    const times = { sourceClusterTime: { t: 130, i: 0 }, lastReplicated: { t: 100, i: 0 } };
    expect(lagSeconds(facts({ ...times, state: 'idle' }))).toBe(0);
    expect(lagSeconds(facts({ ...times, state: 'finalized' }))).toBe(0);
    expect(lagSeconds(facts({ sourceClusterTime: { t: 99, i: 0 }, lastReplicated: { t: 100, i: 0 } }))).toBe(0);
  });
});

describe('phase', () => {
  it('follows the run from cloning through catching up to replicating', () => {
    expect(phaseOf(facts())).toBe('cloning');
    const cloned = { cloneCompleted: true, replicationStarted: true, cloneFinishTime: { t: 50, i: 0 } };
    expect(phaseOf(facts({ ...cloned, lastReplicated: { t: 40, i: 0 } }))).toBe('catching-up');
    expect(phaseOf(facts({ ...cloned, lastReplicated: { t: 51, i: 0 } }))).toBe('replicating');
  });

  it('is the state itself outside running', () => {
    for (const state of ['idle', 'paused', 'finalizing', 'finalized', 'failed'] as const) {
      expect(phaseOf(facts({ state }))).toBe(state);
    }
  });
});

describe('clone size and ETA', () => {
  it('raises a collection estimate to what was copied when the collection grew', () => {
    const collections = [
      collection({ estimatedBytes: 1000, copiedBytes: 400 }),
      collection({ estimatedBytes: 100, copiedBytes: 300 }),
    ];
    expect(estimatedCloneBytes(collections)).toBe(1300);
  });

  it('estimates the remaining clone time from the copy rate', () => {
    const status = facts({
      collections: [collection({ estimatedBytes: 10_000 })],
      totals: { ...zeroTotals, clonedBytes: 4000 },
      copyBytesPerSecond: 1000,
    });
    expect(cloneEtaSeconds(status)).toBe(6);
  });

  it('has no ETA without a rate, or once the clone is complete', () => {
    const collections = [collection({ estimatedBytes: 10_000 })];
    expect(cloneEtaSeconds(facts({ collections }))).toBeUndefined();
    expect(cloneEtaSeconds(facts({ collections, copyBytesPerSecond: 10, cloneCompleted: true }))).toBeUndefined();
  });
});

describe('the snapshot', () => {
  it('carries the counters, times and progress the UI shows', () => {
    const snapshot = statusSnapshot(
      facts({
        runId: 'run-1',
        startTime: { t: 10, i: 1 },
        cloneCompleted: true,
        replicationStarted: true,
        cloneFinishTime: { t: 20, i: 0 },
        lastReplicated: { t: 25, i: 3 },
        sourceClusterTime: { t: 27, i: 0 },
        totals: { eventsRead: 12, eventsApplied: 10, clonedBytes: 5000, clonedDocuments: 50 },
        collections: [collection({ estimatedBytes: 4000, copiedBytes: 5000, state: 'done' })],
        eventsPerSecond: 3.14159,
      }),
    );
    expect(snapshot).toMatchObject({
      state: 'running',
      phase: 'replicating',
      runId: 'run-1',
      lagSeconds: 2,
      eventsRead: 12,
      eventsApplied: 10,
      eventsPerSecond: 3.1,
      startOpTime: { t: 10, i: 1 },
      lastReplicatedOpTime: { t: 25, i: 3 },
      initialSync: {
        completed: true,
        cloneCompleted: true,
        estimatedCloneSizeBytes: 5000,
        clonedSizeBytes: 5000,
        clonedDocuments: 50,
      },
      at: '2025-01-01T00:00:00.000Z',
    });
    expect(snapshot.initialSync.etaSeconds).toBeUndefined();
  });

  it('shows the error of a failed run', () => {
    const error = { code: 'HISTORY_LOST', message: 'oplog history is lost', remedy: 'enlarge the oplog' };
    const snapshot = statusSnapshot(facts({ state: 'failed', error }));
    expect(snapshot.phase).toBe('failed');
    expect(snapshot.error).toEqual(error);
  });
});

describe('RateWindow', () => {
  it('is 0 until it has two samples', () => {
    const rate = new RateWindow();
    expect(rate.perSecond()).toBe(0);
    rate.sample(100, 1000);
    expect(rate.perSecond()).toBe(0);
  });

  it('measures growth per second over the window, forgetting older samples', () => {
    const rate = new RateWindow(2000);
    rate.sample(0, 0);
    rate.sample(1000, 1000);
    expect(rate.perSecond()).toBe(1000);
    rate.sample(1000, 2000);
    rate.sample(1000, 3000);
    rate.sample(1000, 4000);
    expect(rate.perSecond()).toBe(0);
  });

  it('never reports a negative rate when a total starts over', () => {
    const rate = new RateWindow();
    rate.sample(500, 0);
    rate.sample(0, 1000);
    expect(rate.perSecond()).toBe(0);
  });
});
