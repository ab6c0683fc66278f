// A whole migration: clone 100k+ documents while the source keeps changing, replicate, finalize, and
// the target is byte-identical to the source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectBoth,
  finalizeAndCompare,
  newEngine,
  ok,
  seed,
  startClusters,
  startWriteLoad,
  testNames,
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

describe('a full migration', () => {
  it('copies 100k documents while writes run during the clone, and ends identical', async () => {
    const names = testNames('full');
    const documents = 100_000;
    await seed(clusters.source, names.db, 'items', documents);
    await clusters.source.db(names.db).collection('items').createIndex({ n: 1 });
    await seed(clusters.source, names.db, 'small', 500);
    const engine = newEngine(names.metadataDb);
    try {
      await connectBoth(engine, clusters);
      ok(
        await engine.start({
          includeNamespaces: [`${names.db}.*`],
          metadataDb: names.metadataDb,
          // Small segments: several per collection, copied in parallel.
          clone: { segmentSizeBytes: 512 * 1024, readWorkers: 2, insertWorkers: 2 },
        }),
      );
      const load = startWriteLoad(clusters.source, names.db, 'items', documents, 1_000_000);
      const cloning = await waitForStatus(
        engine,
        'the clone to start copying',
        (status) => status.initialSync.clonedDocuments > 0,
      );
      expect(cloning.phase).toBe('cloning');
      await waitForStatus(engine, 'the clone to finish', (status) => status.initialSync.cloneCompleted);
      const writes = await load.stop();
      expect(writes).toBeGreaterThan(0);

      const synced = await waitForInitialSync(engine);
      expect(synced.phase).toBe('replicating');
      expect(synced.initialSync.clonedDocuments).toBeGreaterThanOrEqual(documents);
      expect(synced.eventsApplied).toBeGreaterThan(0);
      expect(synced.startOpTime).toBeDefined();

      const finalized = await finalizeAndCompare(engine, clusters, names);
      expect(finalized.finalization?.countMismatches).toEqual([]);
      expect(finalized.phase).toBe('finalized');
    } finally {
      await engine.close();
    }
  }, 300_000);
});
