// Pause and resume while the source keeps being written: during the clone (the clone stops at a
// segment boundary and later goes on with the rest), during replication (the stream resumes from
// its resume point), and at initial sync when asked to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectBoth,
  finalizeAndCompare,
  newEngine,
  ok,
  seed,
  startClusters,
  startMigration,
  startWriteLoad,
  testNames,
  waitFor,
  waitForInitialSync,
  waitForStatus,
  type Clusters,
} from './migration-helpers.js';

let clusters: Clusters;

beforeAll(async () => {
  clusters = await startClusters();
});

afterAll(async () => {
  await clusters?.stop();
});

const documents = 40_000;

describe('pause and resume', () => {
  it('pauses the clone under write load and resumes it without starting over', async () => {
    const names = testNames('pause_clone');
    await seed(clusters.source, names.db, 'items', documents);
    const engine = newEngine(names.metadataDb);
    const load = startWriteLoad(clusters.source, names.db, 'items', documents, 1_000_000);
    try {
      await connectBoth(engine, clusters);
      ok(
        await engine.start({
          includeNamespaces: [`${names.db}.*`],
          metadataDb: names.metadataDb,
          clone: { segmentSizeBytes: 64 * 1024, readWorkers: 1, insertWorkers: 1 },
        }),
      );
      await waitForStatus(engine, 'the first segments to be copied', (status) =>
        status.collections.some((c) => c.segmentsDone >= 2),
      );
      ok(await engine.pause());
      const paused = await engine.status();
      expect(paused).toMatchObject({ state: 'paused', phase: 'paused' });
      expect(paused.initialSync.cloneCompleted).toBe(false);
      const doneWhenPaused = paused.collections[0].segmentsDone;
      // Pausing twice is refused in PCSM's words; the writes go on meanwhile.
      expect(await engine.pause()).toMatchObject({ ok: false, error: { message: 'cannot pause: already paused' } });

      ok(await engine.resume());
      const resumed = await waitForStatus(
        engine,
        'the clone to go on',
        (status) => status.collections[0]?.segmentsTotal > 0,
      );
      expect(resumed.state).toBe('running');
      // The segments finished before the pause are not copied again: the new clone starts with them done.
      expect(resumed.collections[0].segmentsDone).toBeGreaterThanOrEqual(doneWhenPaused);
      await waitForStatus(engine, 'the clone to finish', (status) => status.initialSync.cloneCompleted);
      expect(await load.stop()).toBeGreaterThan(0);
      await waitForInitialSync(engine);
      await finalizeAndCompare(engine, clusters, names);
    } finally {
      await load.stop();
      await engine.close();
    }
  }, 300_000);

  it('pauses replication under write load and catches up after resuming', async () => {
    const names = testNames('pause_repl');
    await seed(clusters.source, names.db, 'items', 5000);
    const engine = newEngine(names.metadataDb);
    const load = startWriteLoad(clusters.source, names.db, 'items', 5000, 1_000_000);
    try {
      await startMigration(engine, clusters, names);
      await waitForInitialSync(engine);
      ok(await engine.pause());
      const paused = await engine.status();
      expect(paused).toMatchObject({ state: 'paused', phase: 'paused' });
      // Writes made while paused wait in the oplog.
      const writesAtPause = load.writes();
      await waitFor('writes while paused', async () => load.writes() >= writesAtPause + 200);
      expect((await engine.status()).eventsApplied).toBe(paused.eventsApplied);
      ok(await engine.resume());
      await waitForStatus(
        engine,
        'replication to apply the backlog',
        (status) => status.eventsApplied > paused.eventsApplied,
      );
      expect(await load.stop()).toBeGreaterThan(0);
      await finalizeAndCompare(engine, clusters, names);
    } finally {
      await load.stop();
      await engine.close();
    }
  }, 300_000);

  it('pauses by itself once initial sync completes when asked to', async () => {
    const names = testNames('pause_initial');
    await seed(clusters.source, names.db, 'items', 2000);
    const engine = newEngine(names.metadataDb);
    try {
      await connectBoth(engine, clusters);
      ok(
        await engine.start({
          includeNamespaces: [`${names.db}.*`],
          metadataDb: names.metadataDb,
          pauseOnInitialSync: true,
        }),
      );
      const paused = await waitForStatus(engine, 'the pause at initial sync', (status) => status.state === 'paused');
      expect(paused.initialSync.completed).toBe(true);
      await clusters.source
        .db(names.db)
        .collection('items')
        .insertOne({ _id: -1, after: 'initial sync' } as never);
      ok(await engine.resume());
      await finalizeAndCompare(engine, clusters, names);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
